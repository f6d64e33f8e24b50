# protobuf: well-known types, a message built at run time from a
# FileDescriptorProto, binary and JSON round trips, the upb backend.
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, json_format
from google.protobuf import timestamp_pb2, struct_pb2, duration_pb2, any_pb2
from google.protobuf.internal import api_implementation

print(api_implementation.Type())
fdp = descriptor_pb2.FileDescriptorProto(name="demo.proto", package="demo", syntax="proto3")
m = fdp.message_type.add(name="Person")
F = descriptor_pb2.FieldDescriptorProto
m.field.add(name="name", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
m.field.add(name="id", number=2, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
m.field.add(name="emails", number=3, type=F.TYPE_STRING, label=F.LABEL_REPEATED)
pool = descriptor_pool.DescriptorPool()
pool.Add(fdp)
Person = message_factory.GetMessageClass(pool.FindMessageTypeByName("demo.Person"))
p = Person(name="Ada", id=7, emails=["a@x", "b@x"])
wire = p.SerializeToString()
print(wire.hex())
q = Person()
q.ParseFromString(wire)
print(q.name, q.id, list(q.emails))
print(json_format.MessageToJson(q, indent=None, sort_keys=True))
ts = timestamp_pb2.Timestamp()
ts.FromJsonString("2024-01-02T03:04:05.5Z")
print(ts.seconds, ts.nanos, ts.ToJsonString())
d = duration_pb2.Duration(seconds=90)
print(d.ToJsonString())
s = struct_pb2.Struct()
s.update({"a": 1, "b": [True, None, "x"]})
print(sorted(json_format.MessageToDict(s).items()))
a = any_pb2.Any()
a.Pack(ts)
print(a.type_url, a.Is(timestamp_pb2.Timestamp.DESCRIPTOR))
