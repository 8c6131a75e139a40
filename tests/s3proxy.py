"""A proxy on 127.0.0.1 in front of the moto server that damages bytes in transit: the body of
the first ``damage`` GET responses whose path ends with ``key_suffix`` gets one byte flipped
(headers, checksums included, untouched), as a bad link or a buggy middlebox would."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass
class Damage:
    key_suffix: str
    left: int  # responses still to damage
    done: int = 0  # responses damaged so far
    gets: int = 0  # GETs of the key seen


@contextmanager
def damaging_proxy(upstream: str, key_suffix: str, damage: int = 1) -> Iterator[tuple[str, Damage]]:
    """Yields the proxy's URL and the running count of what it damaged."""
    target = urlsplit(upstream)
    state = Damage(key_suffix, damage)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            path = urlsplit(self.path).path
            if self.command == "GET" and path.endswith(state.key_suffix) and data:
                with lock:
                    state.gets += 1
                    if state.left > 0:
                        state.left -= 1
                        state.done += 1
                        data = bytes([data[0] ^ 0xFF]) + data[1:]
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() not in HOP_BY_HOP:
                    self.send_header(k, v)
            length = resp.getheader("Content-Length") if self.command == "HEAD" else len(data)
            self.send_header("Content-Length", str(length or 0))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
