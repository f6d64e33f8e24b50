# google-api-core: retries with a fake clock, exception mapping from HTTP and
# gRPC codes, page iterators, protobuf helpers, client options, path templates.
from unittest import mock
from google.api_core import retry, exceptions, page_iterator, protobuf_helpers, client_options, path_template, datetime_helpers
import grpc
calls = []
def flaky():
    calls.append(1)
    if len(calls) < 3:
        raise exceptions.ServiceUnavailable("try again")
    return "ok after %d" % len(calls)
with mock.patch("time.sleep"):
    r = retry.Retry(predicate=retry.if_exception_type(exceptions.ServiceUnavailable), initial=0.01, maximum=0.02, timeout=5)
    print(r(flaky)())
e = exceptions.from_http_status(404, "nope")
print(type(e).__name__, e.code, e.message, exceptions.from_grpc_status(grpc.StatusCode.PERMISSION_DENIED, "x").__class__.__name__)
pages = [[1, 2], [3], []]
def fetch(it, token):
    i = int(token or 0)
    return pages[i], (str(i + 1) if i + 1 < len(pages) else None)
class It(page_iterator.Iterator):
    def _next_page(self):
        if self.next_page_token is None and self.page_number > 0:
            return None
        items, tok = fetch(self, self.next_page_token)
        self.next_page_token = tok
        return page_iterator.Page(self, items, lambda it, x: x * 10)
print(list(It(client=None, item_to_value=lambda it, x: x)))
from google.protobuf import timestamp_pb2
print(protobuf_helpers.get_messages(timestamp_pb2).keys().__len__(), protobuf_helpers.check_oneof(a=None, b=1))
print(client_options.from_dict({"api_endpoint": "localhost:1"}).api_endpoint)
print(path_template.expand("projects/{project}/topics/{topic}", project="p", topic="t"), path_template.validate("a/*/b", "a/x/b"))
print(datetime_helpers.from_rfc3339("2024-01-02T03:04:05.123456Z"))
