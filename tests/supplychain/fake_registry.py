"""A misbehaving registry for the failure cases a real registry will not produce on demand:
garbage answers, slowness past the client timeout, and bearer-token authentication."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeRegistry:
    """``mode``: ``garbage`` | ``slow`` | ``auth`` | ``error``; serves one fixed manifest."""

    def __init__(self, mode: str, *, delay: float = 2.0) -> None:
        self.mode = mode
        self.delay = delay
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": "sha256:" + "0" * 64,
                    "size": 2,
                },
                "layers": [],
            }
        ).encode()
        self.username = "ci-bot"
        self.password = "s3cr3t-registry-pass"
        self.token = "tok-" + "x" * 20
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                owner.requests.append((self.command, self.path, dict(self.headers.items())))
                owner.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def _send(
        self, handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str
    ) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key.replace("_", "-"), value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "error":
            self._send(handler, 503, b"unavailable")
            return
        if self.mode == "garbage":
            self._send(
                handler, 200, b"\x00\x01 this is not a manifest {", Content_Type="application/json"
            )
            return
        if self.mode == "auth":
            if path.startswith("/token"):
                expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
                if handler.headers.get("Authorization") != f"Basic {expected}":
                    self._send(handler, 401, b"{}")
                    return
                self._send(handler, 200, json.dumps({"token": self.token}).encode())
                return
            if handler.headers.get("Authorization") != f"Bearer {self.token}":
                realm = f"http://{self.host}/token"
                challenge = f'Bearer realm="{realm}",service="fake",scope="repository:app:pull"'
                self._send(
                    handler,
                    401,
                    b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                    WWW_Authenticate=challenge,
                )
                return
        if self.mode == "lying" and "/manifests/" in path:
            self._send(
                handler,
                200,
                self.manifest,
                Content_Type="application/vnd.oci.image.manifest.v1+json",
                Docker_Content_Digest="sha256:" + "f" * 64,
            )
            return
        if self.mode == "huge":
            self._send(handler, 200, b" " * (5 * 1024 * 1024), Content_Type="application/json")
            return
        if self.mode == "referrers" and "/referrers/" in path:
            index = {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [
                    {
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": "sha256:" + "b" * 64,
                        "size": 100,
                        "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                    },
                    {
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": "sha256:" + "c" * 64,
                        "size": 100,
                        "artifactType": "application/spdx+json",
                    },
                ],
            }
            self._send(handler, 200, json.dumps(index).encode(), Content_Type="application/json")
            return
        if "/manifests/" in path:
            self._send(
                handler,
                200,
                self.manifest,
                Content_Type="application/vnd.oci.image.manifest.v1+json",
            )
            return
        self._send(handler, 404, b'{"errors":[{"code":"NOT_FOUND"}]}')
