# aiohappyeyeballs: start_connection over a list of addrinfos (one dead,
# one a loopback listener), address interleaving.
import asyncio, socket
import aiohappyeyeballs
async def main():
    srv = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    infos = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 1)),
             (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
    sock = await aiohappyeyeballs.start_connection(infos, happy_eyeballs_delay=0.05)
    print("connected to", sock.getpeername()[1] == port)
    sock.close()
    six = [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 1, 0, 0))]
    print(aiohappyeyeballs.pop_addr_infos_interleave(list(infos + six), 1))
    srv.close()
asyncio.run(main())
