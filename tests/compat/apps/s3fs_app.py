# s3fs: S3FileSystem registered with fsspec, path handling and the
# aiobotocore client it builds (no network: nothing is requested).
import asyncio
import fsspec
import s3fs
fs = s3fs.S3FileSystem(anon=False, key="AKID", secret="secret",
                       client_kwargs={"region_name": "us-east-1"}, skip_instance_cache=True)
print(type(fs).__name__, fs.protocol)
print(fs._strip_protocol("s3://bucket/dir/file.txt"), fs.split_path("s3://bucket/dir/file.txt?versionId=3"))
print(fs.unstrip_protocol("bucket/key"))
fs2, path = fsspec.core.url_to_fs("s3://bkt/a/b.csv", anon=True)
print(type(fs2).__name__, path)
async def client():
    afs = s3fs.S3FileSystem(anon=True, asynchronous=True, skip_instance_cache=True,
                            client_kwargs={"region_name": "eu-west-1"})
    await afs.set_session()
    c = afs._s3
    print(c.meta.service_model.service_name, c.meta.region_name)
    await afs._s3.close()
asyncio.run(client())
print(s3fs.core.S3FileSystem.default_block_size)
