"""Scenarios for tests/native.rs: bundled libraries that need each other,
and libraries that cannot be loaded (see native_cycle_app there)."""
import ctypes
import os
import sys


def loaded_objects():
    """The names dl_iterate_phdr gives the loaded objects of package cyc
    and its libraries."""

    class Info(ctypes.Structure):
        _fields_ = [("addr", ctypes.c_void_p), ("name", ctypes.c_char_p)]

    names = []
    callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Info), ctypes.c_size_t, ctypes.c_void_p)

    def collect(info, size, data):
        names.append(info.contents.name.decode())
        return 0

    ctypes.CDLL(None).dl_iterate_phdr(callback(collect), None)
    # python names the libraries as found through $ORIGIN/../cyc.libs
    return sorted(os.path.normpath(n) for n in names if "/cyc/" in n or "/cyc.libs/" in n)


def mapped_files():
    """The files /proc/self/maps shows for package cyc and its libraries;
    memory files are "/memfd:<name> (deleted)"."""
    paths = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(None, 5)
            if len(fields) == 6 and ("/cyc/" in fields[5] or "/cyc.libs/" in fields[5]):
                paths.add(fields[5].strip().removeprefix("/memfd:").removesuffix(" (deleted)"))
    return sorted(paths)


def cycle():
    import cyc._cycle

    print("total", cyc._cycle.call(4))
    names = loaded_objects()
    print("dl_iterate_phdr", names)
    print("maps", mapped_files())
    libc = ctypes.CDLL(None)
    libc.dlopen.restype = ctypes.c_void_p
    libc.dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    print(
        "RTLD_NOLOAD by path",
        [libc.dlopen(n.encode(), os.RTLD_NOW | os.RTLD_NOLOAD) == ctypes.CDLL(n)._handle for n in names],
    )


def bad():
    try:
        import cyc._bad  # noqa: F401
    except ImportError as e:
        print(type(e).__name__, "libbad-0d15ea5e.so" in str(e), "freeze_test_nowhere" in str(e))


def short():
    try:
        import cyc._short  # noqa: F401
    except ImportError as e:
        print(type(e).__name__, e)


{"cycle": cycle, "bad": bad, "short": short}[sys.argv[1]]()
