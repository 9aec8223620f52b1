"""A tiny OPA REST API emulator (policies, data, ad-hoc queries) backed by the native engine.

Only for exercising the opa-server backend's HTTP plumbing: it implements
``PUT/DELETE /v1/policies/<id>``, ``PUT /v1/data/<path>`` and ``POST /v1/query``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from seccli.policy.rego import RegoError, compile, to_json


class _State:
    def __init__(self) -> None:
        self.policies: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.lock = threading.Lock()
        self.requests: list[str] = []


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            return

        def _send(self, code: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))

        def do_PUT(self) -> None:
            state.requests.append(f"PUT {self.path}")
            body = self._body()
            if self.path.startswith("/v1/policies/"):
                pid = self.path.split("/v1/policies/", 1)[1]
                src = body.decode()
                try:
                    compile({pid: src})
                except RegoError as err:
                    self._send(
                        400,
                        {
                            "code": "invalid_parameter",
                            "message": str(err),
                            "errors": [{"code": err.code, "message": err.detail}],
                        },
                    )
                    return
                with state.lock:
                    state.policies[pid] = src
                self._send(200, {})
            elif self.path.startswith("/v1/data/"):
                key = self.path.split("/v1/data/", 1)[1]
                with state.lock:
                    state.data[key] = json.loads(body or b"null")
                self.send_response(204)
                self.end_headers()
            else:
                self._send(404, {"code": "not_found", "message": self.path})

        def do_DELETE(self) -> None:
            state.requests.append(f"DELETE {self.path}")
            pid = self.path.split("/v1/policies/", 1)[-1]
            with state.lock:
                state.policies.pop(pid, None)
            self._send(200, {})

        def do_POST(self) -> None:
            state.requests.append(f"POST {self.path}")
            if not self.path.startswith("/v1/query"):
                self._send(404, {"code": "not_found", "message": self.path})
                return
            payload = json.loads(self._body() or b"{}")
            with state.lock:
                policy = compile(dict(state.policies), dict(state.data))
            try:
                res = policy.eval(payload["query"], payload.get("input", None))
            except RegoError as err:
                self._send(500, {"code": "internal_error", "message": f"{err.code}: {err.detail}"})
                return
            self._send(200, {"result": [to_json(b) for b in res.bindings]})

    return Handler


@contextmanager
def fake_opa() -> Iterator[tuple[str, _State]]:
    """Start the emulator on 127.0.0.1 with a free port; yields (url, state)."""
    state = _State()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
