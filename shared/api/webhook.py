"""The `webhook` decorator: an HTTP function a provider calls back (Twilio, SendGrid, NMI callbacks).

Like `operation` it answers errors as problem+json, logs and counts each request, and records a
`FunctionSpec` (kind "webhook") from which `echelonx template` writes its route with no authorizer
and `echelonx openapi` its request and answer media types. Unlike an operation, nobody signs in: a
provider proves itself by a signature over what it sent, which the domain checks. So the request
keeps the body exactly as sent (`body`, the decoded bytes), the parsed form, the headers and the URL
as the provider called it; and the answer is a provider's format (TwiML XML) or empty.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from shared.api.operation import (
    _limit,
    _operation_name,
    _path,
    _path_rules,
    _validate,
    http_function,
    media_type,
)
from shared.api.response import Response
from shared.api.spec import FunctionSpec
from shared.errors import ValidationFailed

if TYPE_CHECKING:
    from pydantic import BaseModel

    from shared.errors import AppError

FORM, JSON = "application/x-www-form-urlencoded", "application/json"


class WebhookRequest:
    """A provider's call. `body` is the request body as sent (bytes, decoded from API Gateway's
    base64); `form` its fields when it is a form (each sent once); `url` the URL the provider
    called (scheme, host, path and query as sent: what it signs); `headers` in lower case."""

    __slots__ = ("operation", "method", "path", "query", "headers", "body", "form", "url", "correlation_id",
                 "source_ip", "user_agent", "raw_path")

    def __init__(self, operation: str, method: str, path: dict[str, str], query: dict[str, str],
                 headers: dict[str, str], body: bytes, form: dict[str, str], url: str, correlation_id: str,
                 source_ip: str | None = None, user_agent: str | None = None, raw_path: str = ""):
        self.operation, self.method, self.path, self.query = operation, method, path, query
        self.headers, self.body, self.form, self.url = headers, body, form, url
        self.correlation_id, self.source_ip, self.user_agent, self.raw_path = correlation_id, source_ip, user_agent, raw_path


def webhook(route: str, *, accepts: tuple[str, ...] = (FORM,), body: type[BaseModel] | None = None,
            answers: str | None = None, status: int | None = None, name: str | None = None,
            path: dict[str, Any] | None = None, throttle: tuple[int, float] | None = None,
            raises: tuple[type[AppError], ...] = ()):
    """Declare a provider webhook: `"POST /webhooks/twilio/status"`, public (no authorizer).

    `accepts`: the request media types it takes (a form by default); anything else is a 415.
    `body`: the fields it reads, validated from the form (text, parsed into the declared types) or
    from JSON; the handler then gets `(req, data)`, else `(req)`. `answers`: the media type of the
    body it answers (`"application/xml"` for TwiML), None when it answers nothing. `status`: the
    status of an answer (200 with a body, else 204). The handler returns the body (text or bytes),
    None (an empty answer: 204, or `status` when it answers nothing), or a `Response`."""
    method, route_path = route.split(" ", 1)
    accepts = tuple(m.lower() for m in accepts)
    if not accepts:
        raise ValueError(f"{route}: a webhook accepts at least one media type")
    if body is not None and any(m not in (FORM, JSON) for m in accepts):
        raise ValueError(f"{route}: a body model is read from a form or JSON only, not {accepts}")
    path_rules = _path_rules(route, path)
    answer_status = status if status is not None else (200 if answers else 204)

    def wrap(fn):
        spec = FunctionSpec(kind="webhook", name=name or _operation_name(fn.__module__), method=method, route=route_path,
                            path=path_rules, body=body, status=answer_status, summary=(fn.__doc__ or "").strip(),
                            throttle=throttle, raises=raises, accepts=accepts, answers=answers)
        return http_function(spec, _respond, fn)

    return wrap


def _respond(spec: FunctionSpec, fn, event: dict, ctx: dict, headers: dict, correlation_id: str) -> dict:
    req = _request(spec, event, ctx, headers, correlation_id)
    if spec.body is None:
        return _answer(spec, fn(req), correlation_id)
    # A form's fields are text, parsed into the declared types; JSON is held to its own types.
    data = _validate(spec.body, req.form if media_type(headers) == FORM else req.body, "body")
    return _answer(spec, fn(req, data), correlation_id)


def _request(spec: FunctionSpec, event: dict, ctx: dict, headers: dict, correlation_id: str) -> WebhookRequest:
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8", errors="surrogatepass")
    _limit(len(body))
    ctype = media_type(headers)
    if body and ctype not in spec.accepts:
        from shared.errors import UnsupportedMediaType

        raise UnsupportedMediaType(f"the body must be {' or '.join(spec.accepts)}", field="/body")
    if not body and spec.body is not None:
        raise ValidationFailed("this webhook needs a body", field="/body")
    form = _form(body) if ctype == FORM else {}
    http_ctx = ctx.get("http") or {}
    raw_path, query_string = event.get("rawPath", ""), event.get("rawQueryString", "")
    scheme = headers.get("x-forwarded-proto", "https")  # API Gateway serves HTTPS only
    url = f"{scheme}://{ctx.get('domainName') or headers.get('host', '')}{raw_path}"
    return WebhookRequest(operation=spec.name, method=spec.method, path=_path(spec, event.get("pathParameters") or {}),
                          query=dict(event.get("queryStringParameters") or {}), headers=headers, body=body, form=form,
                          url=url + (f"?{query_string}" if query_string else ""), correlation_id=correlation_id,
                          source_ip=http_ctx.get("sourceIp"), user_agent=http_ctx.get("userAgent"), raw_path=raw_path)


def _form(body: bytes) -> dict[str, str]:
    """A form's fields; one sent twice is refused (which of its values a signature or a rule means
    would be a guess)."""
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ValidationFailed("the form is not percent-encoded UTF-8", field="/body") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise ValidationFailed(f"{name} is sent more than once", field=f"/body/{name}")
        form[name] = value
    return form


def _answer(spec: FunctionSpec, result: Any, correlation_id: str) -> dict:
    headers = {"x-correlation-id": correlation_id}
    status = spec.status if result is not None or spec.answers is None else 204
    if isinstance(result, Response):
        status, headers, result = result.status, {**headers, **{k.lower(): v for k, v in result.headers.items()}}, \
            result.body
    if result is None or result in ("", b""):
        return {"statusCode": status, "headers": headers, "body": "", "isBase64Encoded": False}
    if spec.answers is None and "content-type" not in headers:
        raise TypeError(f"{spec.name} answered a body but declares no answers= media type")
    headers = {"content-type": str(spec.answers), **headers}
    if isinstance(result, bytes):
        return {"statusCode": status, "headers": headers, "body": base64.b64encode(result).decode(),
                "isBase64Encoded": True}
    return {"statusCode": status, "headers": headers, "body": str(result), "isBase64Encoded": False}
