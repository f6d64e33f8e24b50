# cffi: ABI mode against libc (dlopen), the C backend (_cffi_backend),
# structs, callbacks, buffers.
from cffi import FFI
ffi = FFI()
ffi.cdef("""
    size_t strlen(const char *);
    int snprintf(char *str, size_t size, const char *format, ...);
    void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *));
    typedef struct { int x; double y; } point_t;
""")
C = ffi.dlopen(None)
print(C.strlen(b"hello cffi"))
buf = ffi.new("char[64]")
C.snprintf(buf, 64, b"%d-%s-%.2f", ffi.cast("int", 42), ffi.new("char[]", b"abc"), ffi.cast("double", 3.14159))
print(ffi.string(buf))
arr = ffi.new("int[]", [5, 3, 9, 1, 7])
@ffi.callback("int(const void *, const void *)")
def cmp(a, b):
    x, y = ffi.cast("int *", a)[0], ffi.cast("int *", b)[0]
    return (x > y) - (x < y)
C.qsort(arr, 5, ffi.sizeof("int"), cmp)
print(list(arr))
p = ffi.new("point_t *", {"x": 3, "y": 2.5})
print(p.x, p.y, ffi.sizeof("point_t"), ffi.typeof(p).cname)
print(bytes(ffi.buffer(ffi.new("char[]", b"raw"), 3)))
import _cffi_backend
print(_cffi_backend.__version__ == __import__("cffi").__version__)
