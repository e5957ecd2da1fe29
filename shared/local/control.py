"""Local-only endpoints beside the API: the clock, the API document and Swagger UI.

They live under prefixes no product route uses (`/_local`, `/docs`, `/openapi.json`).
"""

from __future__ import annotations

import json
import mimetypes
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs

from shared import clock

DOCS_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>EchelonX API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head><body><div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", persistAuthorization: true});</script>
</body></html>"""


def _json(status: int, body) -> tuple[int, dict, bytes]:
    return status, {"content-type": "application/json"}, json.dumps(body).encode()


def mount(runtime) -> None:
    gw = runtime.gateway
    gw.extra_handlers += [("/_local", lambda *a: _local(runtime, *a)), ("/openapi.json", _openapi), ("/docs", _docs)]


def _local(runtime, method, path, query, headers, body):
    if path == "/_local/clock":
        if method == "POST":
            data = json.loads(body or b"{}")
            if "advance_s" in data:
                clock.advance(float(data["advance_s"]))
            elif "set_ms" in data:
                clock.set_to(int(data["set_ms"]))
            elif data.get("reset"):
                clock.reset()
        return _json(200, {"now_ms": clock.now_ms(), "now": clock.now().isoformat()})
    if path == "/_local/state":
        return _json(200, {"url": runtime.url, "aws_endpoint": runtime.aws.endpoint,
                           "fakes_url": getattr(runtime, "fakes_url", None),
                           "poller_errors": len(poller.errors) if (poller := getattr(runtime, "poller", None)) else 0})
    if path == "/_local/poller-errors":
        n = int((parse_qs(query).get("last") or ["20"])[0])
        return _json(200, runtime.poller.errors[-n:] if runtime.poller else [])
    return _json(404, {"message": "Not Found"})


@lru_cache(maxsize=1)
def _document() -> bytes:
    from shared.local.openapi import build

    return json.dumps(build()).encode()


def _openapi(method, path, query, headers, body):
    return 200, {"content-type": "application/json"}, _document()


def _docs(method, path, query, headers, body):
    if path in ("/docs", "/docs/"):
        return 200, {"content-type": "text/html; charset=utf-8"}, DOCS_PAGE.encode()
    import swagger_ui

    static = Path(swagger_ui.__file__).parent / "static"
    asset = (static / path.removeprefix("/docs/")).resolve()
    if static not in asset.parents or not asset.is_file():
        return _json(404, {"message": "Not Found"})
    ctype = mimetypes.guess_type(asset.name)[0] or "application/octet-stream"
    return 200, {"content-type": ctype}, asset.read_bytes()
