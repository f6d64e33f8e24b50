# h11: a client and a server connection speaking HTTP/1.1 to each other in
# memory.
import h11
client = h11.Connection(h11.CLIENT)
server = h11.Connection(h11.SERVER)
def pump(src, dst, events):
    data = b"".join(src.send(e) for e in events)
    dst.receive_data(data)
    out = []
    while True:
        ev = dst.next_event()
        if ev is h11.NEED_DATA or ev is h11.PAUSED:
            break
        out.append(ev)
    return data, out
data, evs = pump(client, server, [h11.Request(method="POST", target="/upload",
    headers=[("Host", "example.com"), ("Content-Length", "5")]), h11.Data(data=b"hello"),
    h11.EndOfMessage()])
print(data)
print([type(e).__name__ for e in evs], evs[0].target, evs[1].data)
data, evs = pump(server, client, [h11.Response(status_code=200,
    headers=[("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")]),
    h11.Data(data=b"ok"), h11.EndOfMessage()])
print(data)
print([type(e).__name__ for e in evs], evs[0].status_code, client.our_state, server.our_state)
try:
    h11.Connection(h11.SERVER).receive_data(b"BAD\r\n\r\n") or None
    c = h11.Connection(h11.SERVER); c.receive_data(b"GARBAGE\r\n\r\n"); c.next_event()
except h11.RemoteProtocolError as e:
    print("protocol error", e.error_status_hint)
