# pyarrow: tables, compute kernels, Parquet/Feather/CSV/JSON IO, IPC
# streams, datasets, pandas conversion (libarrow*.so bundled with it).
import io, os, tempfile
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyarrow.feather as feather
import pyarrow.csv as pcsv
import pyarrow.json as pjson
import pyarrow.dataset as ds
t = pa.table({"id": [3, 1, 2, 4], "name": ["c", "a", "b", None], "v": [1.5, 2.5, None, 4.0]})
print(t.schema)
print(t.sort_by("id").to_pydict())
print(pc.sum(t["v"]).as_py(), pc.mean(t["v"]).as_py(), pc.utf8_upper(t["name"]).to_pylist())
print(t.filter(pc.greater(t["id"], 1)).num_rows, t.group_by("name").aggregate([("v", "sum")]).num_rows)
d = tempfile.mkdtemp()
pq.write_table(t, os.path.join(d, "t.parquet"), compression="zstd")
print(pq.read_table(os.path.join(d, "t.parquet")).equals(t), pq.ParquetFile(os.path.join(d, "t.parquet")).metadata.num_rows)
for comp in ("snappy", "gzip", "lz4", "brotli"):
    b = io.BytesIO(); pq.write_table(t, b, compression=comp); b.seek(0)
    print(comp, pq.read_table(b).num_rows)
feather.write_feather(t, os.path.join(d, "t.feather"))
print(feather.read_table(os.path.join(d, "t.feather")).num_columns)
print(pcsv.read_csv(io.BytesIO(b"a,b\n1,x\n2,y\n")).to_pydict())
print(pjson.read_json(io.BytesIO(b'{"a": 1}\n{"a": 2}\n')).column("a").to_pylist())
sink = pa.BufferOutputStream()
with pa.ipc.new_stream(sink, t.schema) as w:
    w.write_table(t)
print(pa.ipc.open_stream(sink.getvalue()).read_all().num_rows)
pqdir = os.path.join(d, "pq"); os.makedirs(pqdir)
pq.write_table(t, os.path.join(pqdir, "part-0.parquet"))
dataset = ds.dataset(pqdir, format="parquet")
print(dataset.to_table(filter=ds.field("id") >= 3).to_pydict()["id"])
df = t.to_pandas()
print(df.dtypes.to_dict(), pa.Table.from_pandas(df).num_rows)
print(pa.__version__, pa.cpu_count() > 0)
