# grpcio-status: rich error status (google.rpc.Status with details) through
# a loopback gRPC server, read back with rpc_status.from_call.
from concurrent import futures
import grpc
from grpc_status import rpc_status
from google.rpc import status_pb2, code_pb2, error_details_pb2
from google.protobuf import any_pb2

def handler(request, context):
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.BadRequest(field_violations=[
        error_details_pb2.BadRequest.FieldViolation(field="name", description="empty")]))
    st = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message="bad name", details=[detail])
    context.abort_with_status(rpc_status.to_status(st))

server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
    "demo.Svc", {"Do": grpc.unary_unary_rpc_method_handler(handler)})])
port = server.add_insecure_port("127.0.0.1:0")
server.start()
with grpc.insecure_channel("127.0.0.1:%d" % port) as ch:
    call = ch.unary_unary("/demo.Svc/Do")
    try:
        call(b"")
    except grpc.RpcError as e:
        print(e.code(), e.details())
        st = rpc_status.from_call(e)
        br = error_details_pb2.BadRequest()
        st.details[0].Unpack(br)
        print(st.code, st.message, br.field_violations[0].field, br.field_violations[0].description)
server.stop(None)
