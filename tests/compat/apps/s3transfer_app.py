# s3transfer: TransferManager upload/download of a local file against a
# stubbed S3 client (no network).
import io, os, tempfile
import botocore.session
from botocore.stub import Stubber, ANY
from s3transfer.manager import TransferManager, TransferConfig

s = botocore.session.get_session()
s.set_credentials("AKID", "secret")
client = s.create_client("s3", region_name="us-east-1")
d = tempfile.mkdtemp()
src = os.path.join(d, "src.bin")
with open(src, "wb") as f:
    f.write(b"0123456789" * 100)
stub = Stubber(client)
stub.add_response("put_object", {"ETag": '"etag1"'},
                  {"Bucket": "bkt", "Key": "k", "Body": ANY, "ChecksumAlgorithm": ANY})
stub.add_response("head_object", {"ContentLength": 1000, "ETag": '"etag1"'},
                  {"Bucket": "bkt", "Key": "k"})
stub.add_response("get_object", {"Body": io.BytesIO(b"0123456789" * 100), "ContentLength": 1000,
                                 "ETag": '"etag1"'}, {"Bucket": "bkt", "Key": "k"})
stub.activate()
cfg = TransferConfig(multipart_threshold=8 * 1024 * 1024, max_request_concurrency=1)
with TransferManager(client, cfg) as tm:
    fut = tm.upload(src, "bkt", "k")
    fut.result()
    print("uploaded", fut.meta.call_args.key, fut.meta.size)
    dst = os.path.join(d, "dst.bin")
    tm.download("bkt", "k", dst).result()
with open(dst, "rb") as f:
    data = f.read()
print("downloaded", len(data), data[:10])
