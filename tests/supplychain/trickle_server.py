"""A hostile registry on 127.0.0.1: it trickles headers or bodies one byte at a time, declares
huge bodies, or serves an index with thousands of platforms. Started and stopped by the tests."""

from __future__ import annotations

import hashlib
import json
import socket
import socketserver
import threading
import time
from typing import Any

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def big_index(platforms: int) -> bytes:
    """An OCI index with ``platforms`` distinct platform entries."""
    entries = [
        {
            "mediaType": OCI_MANIFEST,
            "digest": "sha256:" + hashlib.sha256(str(n).encode()).hexdigest(),
            "size": 500,
            "platform": {"os": "linux", "architecture": f"arch{n}"},
        }
        for n in range(platforms)
    ]
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()


class TrickleServer:
    """``mode``: ``headers`` (status line, then headers a byte per ``interval``), ``body``
    (headers, then the body a byte per ``interval``), ``body-unsized`` (the same without a
    ``Content-Length``), ``declared-huge`` (a 10 GB ``Content-Length``, then a trickle),
    ``index`` (a ``platforms``-entry index for every manifest request, 404 elsewhere)."""

    def __init__(self, mode: str, *, interval: float = 0.2, platforms: int = 5000) -> None:
        self.mode = mode
        self.interval = interval
        self.index = big_index(platforms)
        self.index_digest = "sha256:" + hashlib.sha256(self.index).hexdigest()
        self.requests: list[str] = []
        self.stopping = threading.Event()
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                try:
                    owner.serve(self)
                except OSError:
                    return  # the client hung up (as it should, at its deadline)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and end every trickle."""
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> TrickleServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _trickle(self, sock: socket.socket, data: bytes) -> None:
        for byte in data:
            if self.stopping.is_set():
                return
            sock.sendall(bytes([byte]))
            time.sleep(self.interval)

    def serve(self, handler: Any) -> None:
        while True:
            request_line = handler.rfile.readline(65537)
            if not request_line:
                return
            while handler.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                pass
            path = request_line.split()[1].decode() if len(request_line.split()) > 1 else "/"
            self.requests.append(path)
            sock: socket.socket = handler.connection
            if self.mode == "headers":
                sock.sendall(b"HTTP/1.1 200 OK\r\n")
                self._trickle(sock, b"X-Slow: " + b"a" * 100_000 + b"\r\n")
                return
            if self.mode in {"body", "body-unsized", "declared-huge"}:
                body = json.dumps({"schemaVersion": 2, "manifests": []}).encode() + b" " * 10_000
                length = {"body": str(len(body)), "declared-huge": str(10 * 1024**3)}
                head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                if self.mode in length:
                    head += f"Content-Length: {length[self.mode]}\r\n"
                else:
                    head += "Connection: close\r\n"
                sock.sendall((head + "\r\n").encode())
                self._trickle(sock, body)
                return
            if self.mode == "index" and "/manifests/" in path and "sha256-" not in path:
                head = (
                    f"HTTP/1.1 200 OK\r\nContent-Type: {OCI_INDEX}\r\n"
                    f"Docker-Content-Digest: {self.index_digest}\r\n"
                    f"Content-Length: {len(self.index)}\r\n\r\n"
                )
                sock.sendall(head.encode() + self.index)
                continue
            body = b'{"errors":[{"code":"NOT_FOUND"}]}'
            head = f"HTTP/1.1 404 Not Found\r\nContent-Length: {len(body)}\r\n\r\n"
            sock.sendall(head.encode() + body)
