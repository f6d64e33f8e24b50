# python-multipart: parse multipart/form-data and urlencoded bodies with
# callbacks, and the form parser API used by Starlette.
import io
import python_multipart
from python_multipart import MultipartParser, QuerystringParser, parse_form
from python_multipart.multipart import parse_options_header
boundary = b"XbOuNdArY"
body = (b"--XbOuNdArY\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue1\r\n"
        b"--XbOuNdArY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
        b"Content-Type: text/plain\r\n\r\nfile contents\r\n--XbOuNdArY--\r\n")
parts, cur = [], {}
def on_part_begin(): cur.clear(); cur["data"] = b""
def on_part_data(d, s, e): cur["data"] += d[s:e]
def on_part_end(): parts.append(cur["data"])
def on_header_field(d, s, e): cur["h"] = d[s:e]
def on_header_value(d, s, e): cur.setdefault("hs", []).append((cur["h"], d[s:e]))
p = MultipartParser(boundary, {"on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
                               "on_header_field": on_header_field, "on_header_value": on_header_value})
for i in range(0, len(body), 7):
    p.write(body[i:i + 7])
p.finalize()
print(parts)
fields, files = [], []
parse_form({"Content-Type": b"multipart/form-data; boundary=XbOuNdArY", "Content-Length": str(len(body)).encode()},
           io.BytesIO(body), lambda f: fields.append((f.field_name, f.value)), lambda f: files.append((f.field_name, f.file_name, f.file_object.read() if f.in_memory else b"?")))
print(fields, files)
qs = []
q = QuerystringParser({"on_field_name": lambda d, s, e: qs.append(d[s:e]), "on_field_data": lambda d, s, e: qs.append(d[s:e])})
q.write(b"a=1&b=x%20y"); q.finalize()
print(qs, parse_options_header("text/html; charset=utf-8"))
print(python_multipart.__version__)
