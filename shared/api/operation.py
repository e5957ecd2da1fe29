"""The `operation` decorator: everything a Lambda behind the HTTP API needs, around one plain function.

API Gateway already routes each request to its own function, so there is no router here: the
decorator reads the v2 event, authorises by role, validates path/query/body with pydantic, calls
the handler, serialises the answer and maps every `AppError` to problem+json. It also records a
`FunctionSpec` that `echelonx template` and `echelonx openapi` read offline.
"""

from __future__ import annotations

import base64
import functools
import json
import time
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.api.request import ROLE_RANK, Actor, Request
from shared.api.response import Response, http, problem
from shared.api.spec import FunctionSpec
from shared.api.telemetry import logger, metrics
from shared.errors import (
    AppError,
    Forbidden,
    PayloadTooLarge,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)

MAX_BODY_BYTES = 256 * 1024


def operation(route: str, *, role: str | None = "user", permission: str | None = None,
              body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              out: Any = None, status: int = 200, name: str | None = None, heavy: bool = False):
    """Declare an HTTP operation: `"METHOD /path/{param}"`, the minimum role (None = public)."""
    method, path = route.split(" ", 1)
    if role is not None and role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")

    def wrap(fn):
        spec = FunctionSpec(kind="api", name=name or _operation_name(fn.__module__), method=method,
                            route=path, role=role, permission=permission, body=body, query=query,
                            out=out, status=status, summary=(fn.__doc__ or "").strip(), heavy=heavy)

        @functools.wraps(fn)
        def handler(event: dict, context: Any = None) -> dict:
            return _invoke(spec, fn, event)

        handler.spec = spec
        return handler

    return wrap


def _invoke(spec: FunctionSpec, fn, event: dict) -> dict:
    ctx = event.get("requestContext") or {}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    correlation_id = headers.get("x-correlation-id") or ctx.get("requestId") or _new_correlation_id()
    logger.append_keys(correlation_id=correlation_id, operation=spec.name)
    started = time.perf_counter()
    try:
        req = _request(spec, event, ctx, headers, correlation_id)
        args = (req, _body(spec, event, headers)) if spec.body is not None else (req,)
        answer = _answer(spec, fn(*args), correlation_id)
    except AppError as err:
        answer = problem(err, event.get("rawPath", ""), correlation_id)
    metrics.add_dimension(name="operation", value=spec.name)
    metrics.add_metric(name="Requests", unit="Count", value=1)
    if answer["statusCode"] >= 400:
        metrics.add_metric(name="ClientErrors", unit="Count", value=1)
    metrics.flush_metrics()
    metrics.clear_metrics()  # flush skips clearing when metrics are disabled (locally); dimensions must not pile up
    logger.info("request", extra={"status": answer["statusCode"],
                                  "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
    return answer


def _request(spec: FunctionSpec, event: dict, ctx: dict, headers: dict, correlation_id: str) -> Request:
    actor = _actor(spec, ctx)
    raw_query = event.get("queryStringParameters") or {}
    http_ctx = ctx.get("http") or {}
    return Request(
        operation=spec.name, method=spec.method, path=event.get("pathParameters") or {},
        query=_validate(spec.query, raw_query, "query") if spec.query is not None else raw_query,
        headers=headers, actor=actor, correlation_id=correlation_id,
        source_ip=http_ctx.get("sourceIp"), user_agent=http_ctx.get("userAgent"),
        raw_path=event.get("rawPath", ""),
    )


def _actor(spec: FunctionSpec, ctx: dict) -> Actor | None:
    if spec.role is None:
        return None
    context = ((ctx.get("authorizer") or {}).get("lambda")) or {}
    if not context.get("user_id"):
        # API Gateway never lets an unauthorised request through; this is defence in depth.
        raise Unauthenticated("no authenticated caller")
    actor = Actor.from_authorizer(context)
    if not actor.at_least(spec.role) and not (spec.permission and actor.can(spec.permission)):
        raise Forbidden(f"{spec.name} needs role {spec.role} or above")
    return actor


def _body(spec: FunctionSpec, event: dict, headers: dict) -> Any:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded") and raw:
        raw = base64.b64decode(raw).decode("utf-8", errors="replace")
    if len(raw.encode()) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body may be at most {MAX_BODY_BYTES} bytes", field="/body")
    ctype = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if raw and ctype != "application/json" and not ctype.endswith("+json"):
        raise UnsupportedMediaType(field="/body")
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise ValidationFailed(f"body is not valid JSON: {exc.msg}", field="/body") from exc
    except RecursionError as exc:  # e.g. [[[[…]]]] deeper than the parser's stack: not a 500
        raise ValidationFailed("body is nested too deeply", field="/body") from exc
    if "\\u" in raw and _has_lone_surrogate(data):
        # JSON may escape half a UTF-16 pair ("\ud83c"): such text can be stored nowhere and sent to no one.
        raise ValidationFailed("body has an unpaired \\u surrogate escape: not text", field="/body")
    return _validate(spec.body, data, "body")


def _has_lone_surrogate(data: Any) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _validate(model: type[BaseModel], data: Any, where: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{"field": "/" + "/".join([where, *map(str, e["loc"])]), "message": e["msg"]}
                  for e in exc.errors(include_url=False, include_input=False)]
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors),
                               field=errors[0]["field"], errors=errors) from exc


def _answer(spec: FunctionSpec, result: Any, correlation_id: str) -> dict:
    headers = {"x-correlation-id": correlation_id}
    status = spec.status
    if isinstance(result, Response):
        status, headers, result = result.status, {**headers, **result.headers}, result.body
    if result is None:
        return http(204 if status == 200 else status, None, headers)
    if isinstance(spec.out, type) and issubclass(spec.out, BaseModel) and not isinstance(result, spec.out):
        # The declared output model is the contract: it drops anything not in it (secrets included).
        result = spec.out.model_validate(result)
    if isinstance(result, BaseModel):
        # Python mode keeps Decimal, which our encoder writes as an exact JSON number (pydantic's
        # JSON mode would write a string).
        result = result.model_dump(mode="python")
    if isinstance(result, dict) and isinstance(result.get("version"), int):
        headers["etag"] = f'"{result["version"]}"'
    return http(status, result, headers)


def _new_correlation_id() -> str:
    import uuid  # rare: API Gateway always sends a request id

    return str(uuid.uuid4())


def _operation_name(module: str) -> str:
    """`functions.users.get_user_by_email` → `getUserByEmail` (acronyms as the seed writes them)."""
    words = module.rsplit(".", 1)[-1].split("_")
    return words[0] + "".join(_ACRONYMS.get(w, w.capitalize()) for w in words[1:])


_ACRONYMS = {"sms": "SMS", "mms": "MMS", "nmi": "NMI", "mrr": "MRR", "roi": "ROI", "ab": "AB"}
