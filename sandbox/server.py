"""The sandbox's threaded HTTPS server: parse, apply faults, dispatch to an API, log.

HTTP/1.1 with keep-alive, one thread per connection. TLS handshakes run in the connection's
thread (the listening socket has ``do_handshake_on_connect`` off), so a slow or failing client
does not block the accept loop. :meth:`SandboxServer.stop`
closes open keep-alive connections and joins every thread it started.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sandbox.faults import FaultPlan, RequestFault, ServerError, SessionExpiry
from sandbox.http import Api, Request, Response
from sandbox.request_log import LoggedRequest, RequestLog
from sandbox.tls import Certificates

logger = logging.getLogger(__name__)

# Idle keep-alive connections are closed after this many seconds.
IDLE_TIMEOUT_SECONDS = 30


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: SandboxServer):
        self.owner = owner
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_SECONDS
    server: _Server

    def setup(self) -> None:
        owner = self.server.owner
        owner.track(self.request)
        self.request.settimeout(IDLE_TIMEOUT_SECONDS)
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError) as error:
            logger.debug("TLS handshake with %s failed: %s", self.client_address[0], error)
            self.close_connection = True
            self.handshake_failed = True
        else:
            self.handshake_failed = False
        super().setup()

    def handle(self) -> None:
        if self.handshake_failed:
            return
        try:
            super().handle()
        except (ssl.SSLError, ConnectionError, TimeoutError, OSError) as error:
            logger.debug("Connection from %s ended: %s", self.client_address[0], error)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        self.server.owner.untrack(self.request)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        logger.debug("%s " + format, self.client_address[0], *args)

    def _serve(self) -> None:
        body = self._read_body()
        request = Request.build(self.command, self.path, dict(self.headers.items()), body)
        response = self.server.owner.dispatch(request)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve  # noqa: N815


class SandboxServer:
    """Serve ``apis`` over HTTPS on ``host``; port 0 picks a free port at :meth:`start`."""

    def __init__(self, apis: Sequence[Api], faults: FaultPlan, request_log: RequestLog,
                 certificates: Certificates, host: str = "127.0.0.1", port: int = 0):
        self.apis = list(apis)
        self.faults = faults
        self.request_log = request_log
        self.certificates = certificates
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.connections_accepted = 0

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError(f"The sandbox server already runs at {self.url}.")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.certificates.cert_file, self.certificates.key_file)
        server = _Server((self.host, self.port), self)
        server.socket = context.wrap_socket(server.socket, server_side=True,
                                            do_handshake_on_connect=False)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"sandbox-{self.port}", daemon=True)
        self._thread.start()
        logger.info("Sandbox server listening at %s", self.url)

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()  # joins the connection threads
        if thread is not None:
            thread.join()
        self._server = None
        self._thread = None
        logger.info("Sandbox server at %s stopped", self.url)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)
            self.connections_accepted += 1

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def dispatch(self, request: Request) -> Response:
        """Respond to one request: fault plan first, then the first API that handles the path."""
        started = time.time()
        api = next((api for api in self.apis if api.handles(request)), None)
        fault_kind = ""
        if api is None:
            response = Response.json(404, {
                "error": "not_found",
                "message": f"No sandbox API serves {request.method} {request.path}.",
            })
        else:
            delay, failure = self.faults.request_faults(api.name, request)
            self.faults.sleep(delay)
            expiry = None if failure else self._expired_session(api.name, request)
            if failure is not None or expiry is not None:
                fault = failure or expiry
                fault_kind = fault.kind
                response = self._error_response(api, fault, request)
            else:
                response = self._handle(api, request)
        self.request_log.append(LoggedRequest(
            time=started, api=api.name if api else "", method=request.method, path=request.path,
            status=response.status, records=response.records, fault=fault_kind,
        ))
        return response

    def _expired_session(self, api_name: str, request: Request) -> SessionExpiry | None:
        authorization = request.headers.get("authorization", "")
        if not authorization.lower().startswith("bearer "):
            return None
        return self.faults.session_expired(api_name, authorization[7:].strip())

    def _handle(self, api: Api, request: Request) -> Response:
        try:
            return api.handle(request)
        except Exception:
            logger.exception("Sandbox API %s failed on %s %s", api.name, request.method,
                             request.path)
            return self._error_response(api, ServerError(status=500), request)

    @staticmethod
    def _error_response(api: Api, fault: RequestFault | SessionExpiry,
                        request: Request) -> Response:
        error_response = getattr(api, "error_response", None)
        if error_response is not None:
            return error_response(fault, request)
        status = getattr(fault, "status", None) or {"rate_limit": 429,
                                                   "session_expired": 401}.get(fault.kind, 500)
        return Response.json(status, {"error": fault.kind, "message": "Injected sandbox fault."})
