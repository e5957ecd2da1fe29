"""The local API Gateway (HTTP API): routes from template.yaml, real v2 events, the real authorizer.

It answers where API Gateway itself would answer, exactly as API Gateway does: no route → 404
`{"message":"Not Found"}`; missing identity source → 401 `{"message":"Unauthorized"}`; authorizer
says no → 403 `{"message":"Forbidden"}`; function error → 500 `{"message":"Internal Server Error"}`.
Authorizer decisions are cached per identity source for `ReauthorizeEvery` seconds on the shared clock.
Deny by default: a route whose authorizer cannot be found is refused, never let through.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from shared import clock
from shared.local.aws import SHUTDOWN_POLL_S

if TYPE_CHECKING:
    from shared.local.lambda_runtime import LocalFunction


@dataclass
class Route:
    method: str
    path: str
    function: LocalFunction
    authorizer: str | None  # authorizer name, or None for Auth: NONE
    pattern: re.Pattern
    literal_segments: int

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Authorizer:
    name: str
    function: LocalFunction | None
    header: str
    ttl_s: int
    simple: bool


def _compile(path: str) -> tuple[re.Pattern, int]:
    parts, literal = [], 0
    for seg in path.strip("/").split("/"):
        if seg.startswith("{") and seg.endswith("+}"):
            parts.append(f"(?P<{seg[1:-2]}>.+)")
        elif seg.startswith("{"):
            parts.append(f"(?P<{seg[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(seg))
            literal += 1
    return re.compile("^/" + "/".join(parts) + "/?$"), literal


class Gateway:
    def __init__(self, template: dict, functions: dict[str, LocalFunction], aws):
        api_props: dict[str, Any] = next((r["Properties"] for r in template["Resources"].values()
                                          if r["Type"] == "AWS::Serverless::HttpApi"), {})
        auth = api_props.get("Auth") or {}
        self.cors = api_props.get("CorsConfiguration")
        self.authorizers = {name: self._authorizer(name, cfg, functions)
                            for name, cfg in (auth.get("Authorizers") or {}).items()}
        default = auth.get("DefaultAuthorizer")
        self.routes = []
        for fn in functions.values():
            for event in fn.events.values():
                if event.get("Type") != "HttpApi":
                    continue
                props = event["Properties"]
                name = ((props.get("Auth") or {}).get("Authorizer")) or default
                pattern, literal = _compile(props["Path"])
                self.routes.append(Route(props["Method"].upper(), props["Path"], fn,
                                         None if name == "NONE" else name, pattern, literal))
        # API Gateway picks the most specific route: more literal segments first.
        self.routes.sort(key=lambda r: (-r.literal_segments, r.path))
        self._cache: dict[tuple, tuple[int, dict | None]] = {}
        self._lock = threading.Lock()
        self.extra_handlers: list = []  # (prefix, callable(method, path, query, headers, body) -> (status, headers, bytes))

    @staticmethod
    def _authorizer(name: str, cfg: dict, functions: dict) -> Authorizer:
        arn = cfg.get("FunctionArn") or {}
        logical = arn.get("Fn::GetAtt", [None])[0] if isinstance(arn, dict) else None
        identity = cfg.get("Identity") or {}
        header = (identity.get("Headers") or ["Authorization"])[0].lower()
        return Authorizer(name, functions.get(logical), header, int(identity.get("ReauthorizeEvery", 300)),
                          bool(cfg.get("EnableSimpleResponses")))

    # --- request handling --------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, raw_query: str, headers: dict, body: bytes,
               source_ip: str = "127.0.0.1") -> tuple[int, dict, bytes]:
        for prefix, extra in self.extra_handlers:
            if raw_path == prefix or raw_path.startswith(prefix + "/"):
                return extra(method, raw_path, raw_query, headers, body)
        headers = {k.lower(): v for k, v in headers.items()}
        if method == "OPTIONS" and self.cors and "access-control-request-method" in headers:
            return 204, self._cors_headers(headers, preflight=True), b""
        route, params = self._match(method, raw_path)
        if route is None:
            return self._message(404, "Not Found", headers)
        event = self._event(route, params, raw_path, raw_query, headers, body, source_ip)
        if route.authorizer is not None:
            denied = self._authorize(route, event)
            if denied:
                return denied
        return self._invoke(route, event, headers)

    def _match(self, method: str, path: str):
        for route in self.routes:
            if route.method not in (method, "ANY"):
                continue
            m = route.pattern.match(path)
            if m:
                return route, m.groupdict()
        return None, {}

    def _event(self, route, params, raw_path, raw_query, headers, body, source_ip) -> dict:
        now = clock.now_ms()
        query: dict[str, str] = {}
        for k, v in parse_qsl(raw_query, keep_blank_values=True):
            query[k] = f"{query[k]},{v}" if k in query else v
        text_body, is_b64 = _body(body, headers.get("content-type", ""))
        event = {
            "version": "2.0", "routeKey": route.route_key, "rawPath": raw_path, "rawQueryString": raw_query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012", "apiId": "local", "domainName": headers.get("host", "localhost"),
                "domainPrefix": "local", "requestId": str(uuid.uuid4()), "routeKey": route.route_key,
                "stage": "$default", "time": datetime.fromtimestamp(now / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": now,
                "http": {"method": route.method, "path": raw_path, "protocol": "HTTP/1.1",
                         "sourceIp": source_ip, "userAgent": headers.get("user-agent", "")},
            },
            "isBase64Encoded": is_b64,
        }
        if query:
            event["queryStringParameters"] = query
        if params:
            event["pathParameters"] = params
        if body:
            event["body"] = text_body
        if "cookie" in headers:
            event["cookies"] = [c.strip() for c in headers["cookie"].split(";")]
        return event

    def _authorize(self, route: Route, event: dict):
        auth = self.authorizers.get(route.authorizer)
        if auth is None or auth.function is None:
            return self._message(403, "Forbidden", event["headers"])  # deny by default
        identity = event["headers"].get(auth.header)
        if not identity:
            return self._message(401, "Unauthorized", event["headers"])
        key = (auth.name, identity)
        with self._lock:
            cached = self._cache.get(key)
        if cached and cached[0] > clock.now_ms():
            context = cached[1]
        else:
            context = self._run_authorizer(auth, route, event, identity)
            with self._lock:
                self._cache[key] = (clock.now_ms() + auth.ttl_s * 1000, context)
        if context is None:
            return self._message(403, "Forbidden", event["headers"])
        event["requestContext"]["authorizer"] = {"lambda": context}
        return None

    def _run_authorizer(self, auth: Authorizer, route: Route, event: dict, identity: str) -> dict | None:
        if auth.function is None:  # _authorize refuses these first; deny by default all the same
            return None
        request = {**event, "type": "REQUEST", "identitySource": [identity],
                   "routeArn": f"arn:aws:execute-api:us-east-1:123456789012:local/$default/{route.method}{route.path}"}
        try:
            answer = auth.function.invoke(request)
        except Exception:  # noqa: BLE001 - API Gateway treats an authorizer failure as a denial
            traceback.print_exc()
            return None
        if not isinstance(answer, dict) or answer.get("isAuthorized") is not True:
            return None
        return answer.get("context") or {}

    def _invoke(self, route: Route, event: dict, headers: dict):
        try:
            result = route.function.invoke(event)
        except Exception:  # noqa: BLE001 - a function error is API Gateway's 500, logged here
            traceback.print_exc()
            return self._message(500, "Internal Server Error", headers)
        return self._response(result, headers)

    def _response(self, result, req_headers: dict):
        if not (isinstance(result, dict) and "statusCode" in result):
            # Payload format 2.0: anything else is a 200 JSON body.
            return 200, {"content-type": "application/json", **self._cors_headers(req_headers)}, json.dumps(result).encode()
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        out = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        out.update(self._cors_headers(req_headers))
        return int(result["statusCode"]), out, raw

    def _message(self, status: int, message: str, req_headers: dict):
        headers = {"content-type": "application/json", **self._cors_headers(req_headers)}
        return status, headers, json.dumps({"message": message}).encode()

    def _cors_headers(self, req_headers: dict, preflight: bool = False) -> dict:
        origin = req_headers.get("origin")
        if not self.cors or not origin:
            return {}
        allowed = [str(o) for o in self.cors.get("AllowOrigins", [])]
        if "*" not in allowed and origin not in allowed:
            return {}
        out = {"access-control-allow-origin": "*" if "*" in allowed else origin}
        if self.cors.get("ExposeHeaders"):
            out["access-control-expose-headers"] = ",".join(self.cors["ExposeHeaders"])
        if preflight:
            out["access-control-allow-methods"] = ",".join(self.cors.get("AllowMethods", []))
            out["access-control-allow-headers"] = ",".join(self.cors.get("AllowHeaders", []))
            out["access-control-max-age"] = str(self.cors.get("MaxAge", 0))
        return out

    # --- HTTP server ---------------------------------------------------------------------------
    def serve(self, listener: socket.socket) -> _Server:
        """Serve on a listening socket (see aws.listen) from a thread of its own; stop with `_Server.stop()`."""
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self):
                split = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = gateway.handle(self.command, split.path, split.query,
                                                          dict(self.headers.items()), body, self.client_address[0])
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            # Every method reaches the router, so an unknown one is API Gateway's 404, not http.server's 501.
            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _any
            do_TRACE = do_CONNECT = do_QUERY = do_PROPFIND = _any

            def log_message(self, fmt, *args):  # request lines go to our logs, not stderr noise
                pass

        server = _Server(listener, Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S},
                         name="gateway", daemon=True).start()
        return server


class _Server(ThreadingHTTPServer):
    """A threaded HTTP server that knows its open connections, so that stopping it closes them:
    a keep-alive client would otherwise keep a handler thread serving it after the runtime stopped."""

    daemon_threads = True  # a request still running at exit must not hold the process

    def __init__(self, listener: socket.socket, handler):
        super().__init__(listener.getsockname(), handler, bind_and_activate=False)
        self.socket.close()  # the one socketserver made; the listener is already bound and listening
        self.socket = listener
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def stop(self) -> None:
        """No new connections, and every open one closed: a handler thread waiting for the next request
        on a keep-alive connection sees its end; one in the middle of a request fails to answer."""
        self.shutdown()
        with self._connections_lock:
            open_now = list(self._connections)
        for conn in open_now:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its client
        self.server_close()

    def handle_error(self, request, client_address):
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that went away is not our error
        super().handle_error(request, client_address)


def _body(body: bytes, content_type: str) -> tuple[str, bool]:
    textual = not content_type or any(t in content_type for t in ("json", "text", "xml", "x-www-form-urlencoded"))
    if textual:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode(), True
