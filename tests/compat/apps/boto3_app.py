# boto3: session + clients/resources from the bundled service models, with a
# stubbed response (no network): S3 list, DynamoDB type (de)serialisation,
# a presigned URL (time pinned) and param validation.
import datetime
import boto3
from boto3.dynamodb.types import TypeSerializer, TypeDeserializer
from boto3.dynamodb.conditions import Key, Attr
from botocore.stub import Stubber
from botocore.exceptions import ParamValidationError

session = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE",
                                aws_secret_access_key="secret",
                                region_name="us-east-1")
print("services", len(session.get_available_services()) > 100,
      "s3" in session.get_available_services())
s3 = session.client("s3")
with Stubber(s3) as stub:
    stub.add_response("list_objects_v2",
                      {"Contents": [{"Key": "a.txt", "Size": 3},
                                    {"Key": "b.txt", "Size": 5}],
                       "KeyCount": 2},
                      {"Bucket": "bucket"})
    resp = s3.list_objects_v2(Bucket="bucket")
    print([(o["Key"], o["Size"]) for o in resp["Contents"]])
try:
    s3.put_object(Bucket="bucket", Key=3)
except ParamValidationError as e:
    print("validation:", str(e).splitlines()[0][:60])
url = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"},
                                ExpiresIn=60)
print(url.split("?")[0], sorted(p.split("=")[0] for p in url.split("?")[1].split("&")))
ser = TypeSerializer()
item = {"id": 1, "tags": {"a", "b"}, "nested": {"x": [1, "two", None]}}
wire = {k: ser.serialize(v) for k, v in item.items()}
print(sorted(wire["tags"]["SS"]), wire["nested"])
de = TypeDeserializer()
print({k: de.deserialize(v) for k, v in wire.items()}["nested"])
cond = Key("pk").eq("x") & Attr("n").gt(3)
print(type(cond).__name__, cond.get_expression()["operator"])
ddb = session.resource("dynamodb")
table = ddb.Table("t")
print(table.name, type(table).__name__)
