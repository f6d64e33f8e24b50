# aiobotocore: an async client from the botocore models, a stubbed call
# (no network), presigned URL with a pinned clock, paginator.
import asyncio, datetime
from unittest import mock
from aiobotocore.session import get_session
from botocore.stub import Stubber
from aiobotocore.config import AioConfig
async def main():
    session = get_session()
    async with session.create_client("s3", region_name="us-east-1", aws_access_key_id="AKID",
                                     aws_secret_access_key="secret",
                                     config=AioConfig(signature_version="s3v4")) as client:
        print(type(client).__name__, client.meta.service_model.service_name)
        with Stubber(client) as st:
            st.add_response("list_buckets", {"Buckets": [{"Name": "b1"}, {"Name": "b2"}]}, {})
            r = await client.list_buckets()
            print([b["Name"] for b in r["Buckets"]])
            st.add_response("list_objects_v2", {"Contents": [{"Key": "k1"}], "IsTruncated": False, "KeyCount": 1},
                            {"Bucket": "b1"})
            pages = [p async for p in client.get_paginator("list_objects_v2").paginate(Bucket="b1")]
            print([o["Key"] for p in pages for o in p["Contents"]])
        with mock.patch("botocore.auth.get_current_datetime", return_value=datetime.datetime(2024, 1, 1)):
            url = await client.generate_presigned_url("get_object", Params={"Bucket": "b1", "Key": "k"}, ExpiresIn=60)
        print(url)
asyncio.run(main())
