"""The local API Gateway (HTTP API): routes from template.yaml, real v2 events, the real authorizer.

It answers where API Gateway itself would answer, exactly as API Gateway does: no route → 404
`{"message":"Not Found"}`; missing identity source → 401 `{"message":"Unauthorized"}`; authorizer
says no → 403 `{"message":"Forbidden"}`; function error → 500 `{"message":"Internal Server Error"}`.
Authorizer decisions are cached per identity source for `ReauthorizeEvery` seconds on the shared clock.
Deny by default: a route whose authorizer cannot be found is refused, never let through.
CORS is the HttpApi's CorsConfiguration, answered by the gateway as API Gateway does (`Cors`), and a
function gets its body as API Gateway hands it over (`body_as_handed_over`).
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
from shared.local.lambda_runtime import parameter_defaults

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


@dataclass(frozen=True)
class Cors:
    """The HttpApi's CorsConfiguration (intrinsics resolved), answered as API Gateway HTTP APIs do
    (developerguide/http-api-cors): a preflight (OPTIONS with Origin and Access-Control-Request-Method)
    is answered by the gateway itself, for any path, without a route or an authorizer; every other
    answer to an allowed Origin gets allow-origin and expose-headers. An origin, method or header
    outside the configuration gets no CORS headers at all, and the functions' own CORS headers are
    dropped (API Gateway ignores them once CORS is configured)."""

    origins: tuple[str, ...]
    methods: tuple[str, ...]
    headers: tuple[str, ...]  # lower case: header names are compared without case
    expose: tuple[str, ...]
    max_age: int | None
    credentials: bool

    @classmethod
    def of(cls, config: Any) -> Cors | None:
        """From SAM's HttpApi `CorsConfiguration`: `true` (any origin), one origin as a string, or the
        object; None when the API has none."""
        if config is None or config is False:
            return None
        if config is True or isinstance(config, str):
            config = {"AllowOrigins": ["*" if config is True else config]}
        cors = cls(tuple(str(o) for o in config.get("AllowOrigins") or ()),
                   tuple(str(m).upper() for m in config.get("AllowMethods") or ()),
                   tuple(str(h).lower() for h in config.get("AllowHeaders") or ()),
                   tuple(str(h).lower() for h in config.get("ExposeHeaders") or ()),
                   int(config["MaxAge"]) if config.get("MaxAge") is not None else None,
                   config.get("AllowCredentials") in (True, "true", "True"))
        if cors.credentials and "*" in cors.origins:
            # SAM's transform refuses this template; a browser would refuse the answer anyway.
            raise ValueError("CorsConfiguration: AllowCredentials cannot be true with AllowOrigins '*'")
        return cors

    def allows_origin(self, origin: str) -> bool:
        # "*" is any origin; "https://*" / "http://*" any origin of that scheme; anything else exactly.
        return any(o == "*" or o == origin or (o.endswith("://*") and origin.startswith(o[:-1]))
                   for o in self.origins)

    def preflight(self, req_headers: dict) -> dict:
        """The CORS headers of the gateway's own 204 answer to a preflight (empty when refused)."""
        origin, method = req_headers.get("origin", ""), req_headers.get("access-control-request-method", "")
        asked = [h.strip().lower() for h in req_headers.get("access-control-request-headers", "").split(",")
                 if h.strip()]
        if not (origin and self.allows_origin(origin)):
            return {}
        if "*" not in self.methods and method.upper() not in self.methods:
            return {}
        if "*" not in self.headers and any(h not in self.headers for h in asked):
            return {}
        out = self._origin(origin)
        # A wildcard is answered with what was asked: browsers take "*" literally for credentialed
        # requests, and never as covering Authorization.
        out["access-control-allow-methods"] = method.upper() if "*" in self.methods else ",".join(self.methods)
        allowed = asked if "*" in self.headers else list(self.headers)
        if allowed:
            out["access-control-allow-headers"] = ",".join(allowed)
        if self.max_age is not None:
            out["access-control-max-age"] = str(self.max_age)
        return out

    def response(self, req_headers: dict) -> dict:
        """The CORS headers added to any other answer (the functions' and the gateway's own)."""
        origin = req_headers.get("origin", "")
        if not (origin and self.allows_origin(origin)):
            return {}
        out = self._origin(origin)
        if self.expose:
            out["access-control-expose-headers"] = ",".join(self.expose)
        return out

    def _origin(self, origin: str) -> dict:
        if "*" in self.origins:
            out = {"access-control-allow-origin": "*"}
        else:  # the answer depends on the Origin: caches must keep one per origin
            out = {"access-control-allow-origin": origin, "vary": "origin"}
        if self.credentials:
            out["access-control-allow-credentials"] = "true"
        return out


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
        self.cors = Cors.of(aws.resolve(api_props.get("CorsConfiguration"), parameter_defaults(template)))
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
            return 204, self.cors.preflight(headers), b""
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
        text_body, is_b64 = body_as_handed_over(body, headers.get("content-type", ""))
        host = headers.get("host", "localhost")
        port = re.search(r":(\d+)$", host)
        # API Gateway adds where the request came from; served here over plain HTTP on the host's port.
        forwarded = {"x-forwarded-for": ", ".join(filter(None, (headers.get("x-forwarded-for"), source_ip))),
                     "x-forwarded-proto": "http", "x-forwarded-port": port.group(1) if port else "80"}
        event = {
            "version": "2.0", "routeKey": route.route_key, "rawPath": raw_path, "rawQueryString": raw_query,
            "headers": {**headers, **forwarded},
            "requestContext": {
                "accountId": "123456789012", "apiId": "local", "domainName": host,
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
        if self.cors:
            out = {k: v for k, v in out.items() if not k.startswith("access-control-")}
            cors = self._cors_headers(req_headers)
            if "vary" in out and "vary" in cors:
                cors["vary"] = f"{out['vary']}, {cors['vary']}"
            out.update(cors)
        return int(result["statusCode"]), out, raw

    def _message(self, status: int, message: str, req_headers: dict):
        headers = {"content-type": "application/json", **self._cors_headers(req_headers)}
        return status, headers, json.dumps({"message": message}).encode()

    def _cors_headers(self, req_headers: dict) -> dict:
        return self.cors.response(req_headers) if self.cors else {}

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


# The media types API Gateway hands a payload-2.0 function as text; any other body (forms, multipart,
# binary, a body without a content type) arrives base64-encoded with isBase64Encoded true.
TEXT_MEDIA_TYPES = ("application/json", "application/javascript", "application/xml")


def is_text(content_type: str) -> bool:
    """Whether API Gateway passes a body of this Content-Type to the function as text."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in TEXT_MEDIA_TYPES


def body_as_handed_over(body: bytes, content_type: str) -> tuple[str, bool]:
    """The event's `body` and `isBase64Encoded` for a request body, as API Gateway builds them."""
    if is_text(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass  # not text after all: passed on as bytes
    return base64.b64encode(body).decode(), True
