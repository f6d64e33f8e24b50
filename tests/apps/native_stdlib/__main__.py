"""Stdlib extension modules (lib-dynload) and the libraries they need."""
import decimal, sqlite3, ssl, hashlib, ctypes, lzma, bz2, json, uuid, asyncio, _json
print(decimal.Decimal(1) / decimal.Decimal(7), decimal.__file__.split('/')[-1], type(decimal.Context()).__module__)
db = sqlite3.connect(":memory:"); db.execute("create table t(x)"); db.executemany("insert into t values (?)", [(i,) for i in range(10)])
print(db.execute("select sum(x) from t").fetchone(), sqlite3.sqlite_version[:1])
ctx = ssl.create_default_context(); print(ctx.protocol, hashlib.sha3_256(b"x").hexdigest()[:16], hashlib.md5(b"x").hexdigest())
libc = ctypes.CDLL(None); print(libc.strlen(b"hello"))
print(lzma.decompress(lzma.compress(b"a"*100)) == b"a"*100, bz2.decompress(bz2.compress(b"b"*100)) == b"b"*100)
print(json.decoder.scanstring is _json.scanstring, json.loads('{"a": [1,2]}'))
print(len(str(uuid.uuid4())))
async def main():
    await asyncio.sleep(0.01); return "async ok"
print(asyncio.run(main()))
print(_json.__file__.endswith('_json.cpython-311-x86_64-linux-gnu.so'), '/proc/' not in _json.__file__)
# unicodedata is an extension module in the bundle, not part of the runtime:
# direct use, "\N{...}" escapes decoded at run time, the idna codec.
import codecs, unicodedata
print(unicodedata.name("é"), unicodedata.lookup("SNOWMAN"), unicodedata.unidata_version,
      unicodedata.normalize("NFKD", "ﬁ"), "\N{DEGREE SIGN}", codecs.decode(b"\\N{BLACK STAR}", "unicode_escape"),
      "bücher.example".encode("idna"))
