# googleapis-common-protos: google.type/google.rpc/google.api messages.
from google.type import date_pb2, money_pb2, latlng_pb2
from google.rpc import status_pb2, code_pb2, error_details_pb2
from google.api import http_pb2, annotations_pb2, field_behavior_pb2
from google.protobuf import json_format
d = date_pb2.Date(year=2024, month=2, day=29)
m = money_pb2.Money(currency_code="EUR", units=12, nanos=500000000)
print(json_format.MessageToDict(d), json_format.MessageToDict(m))
st = status_pb2.Status(code=code_pb2.NOT_FOUND, message="missing")
st.details.add().Pack(error_details_pb2.ResourceInfo(resource_type="book", resource_name="b1"))
wire = st.SerializeToString()
print(wire.hex())
print(code_pb2.Code.Name(st.code), status_pb2.Status.FromString(wire).details[0].type_url)
rule = http_pb2.HttpRule(get="/v1/{name=books/*}")
print(rule.WhichOneof("pattern"), rule.get)
print(annotations_pb2.http.full_name, field_behavior_pb2.FieldBehavior.Name(2))
print(latlng_pb2.LatLng(latitude=1.5, longitude=-2.25))
