"""`echelonx openapi`: one OpenAPI 3.1 document assembled offline from what the decorators declare."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from shared.errors import PROBLEM_BASE, AppError
from shared.ids import ULID_PATTERN
from shared.local.functions import ROOT, discover

if TYPE_CHECKING:
    from pathlib import Path

PROBLEM = {
    "type": "object", "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "detail": {"type": "string"}, "instance": {"type": "string"},
        "field": {"type": "string", "description": "JSON pointer of the offending input, e.g. /body/email"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
        "correlation_id": {"type": "string"},
    },
}
GATEWAY_MESSAGE = {"type": "object", "properties": {"message": {"type": "string"}}}
ULID = {"type": "string", "pattern": ULID_PATTERN, "minLength": 26, "maxLength": 26,
        "description": "an id this API returned (a ULID)"}


def build(root: Path = ROOT, package: str = "functions") -> dict:
    """The document of every HTTP function (operations and webhooks) found under `root/package`."""
    functions = [f for f in discover(root, package) if f.spec.kind in ("api", "webhook")]
    models = _models(functions)
    refs, defs = models_json_schema([(m, "validation") for m in models],
                                    ref_template="#/components/schemas/{model}") if models else ({}, {})
    schemas = dict(defs.get("$defs", {}))
    schemas["Problem"] = PROBLEM
    schemas["GatewayMessage"] = GATEWAY_MESSAGE
    paths: dict = {}
    for fn in sorted(functions, key=lambda f: (f.spec.route, f.spec.method)):
        paths.setdefault(fn.spec.route, {})[fn.spec.method.lower()] = _operation(fn, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "EchelonX API", "version": "1.0.0",
                 "description": "Multi-tenant customer-engagement backend. Errors are RFC 9457 problem+json."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


def _models(functions) -> list[type[BaseModel]]:
    seen: dict[type, None] = {}
    for fn in functions:
        for m in (fn.spec.body, fn.spec.out):
            if isinstance(m, type) and issubclass(m, BaseModel):
                seen[m] = None
    return list(seen)


def _schema_ref(model, refs) -> dict:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return refs[(model, "validation")]
    return TypeAdapter(model).json_schema()


def _operation(fn, refs) -> dict:
    spec = fn.spec
    op = {"operationId": spec.name, "tags": [fn.domain], "summary": spec.summary.splitlines()[0] if spec.summary else spec.name,
          "parameters": _parameters(spec), "responses": _responses(spec, refs)}
    if spec.summary:
        op["description"] = spec.summary
    if spec.kind == "webhook":
        op["requestBody"] = {"required": spec.body is not None,
                             "content": {media: {"schema": _webhook_body(spec, media, refs)} for media in spec.accepts}}
    elif spec.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _schema_ref(spec.body, refs)}}}
    op["security"] = [{"bearer": []}] if spec.authenticated else []
    if spec.role is not None:
        op["x-minimum-role"] = spec.role
        op["x-permission"] = spec.permission + (" (or its :own form, for the caller's own record)" if spec.own else "")
    return op


TENANT_PARAMETER = {
    "query": "super_admin only: the tenant (client id) to act in; without it, platform scope. Anyone else "
             "always acts in their own tenant, and naming another answers 404.",
    "required": "super_admin must name the tenant (client id) to act in. Anyone else always acts in their "
                "own tenant, and naming another answers 404.",
}


def _parameters(spec) -> list[dict]:
    params = [{"name": name, "in": "path", "required": True,
               "schema": ULID if values is None else {"type": "string", "enum": list(values)}}
              for name, values in spec.path.items()]
    if spec.query is not None:
        schema = spec.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    if spec.tenant in TENANT_PARAMETER:
        params.append({"name": "client_id", "in": "query", "required": False, "description": TENANT_PARAMETER[spec.tenant],
                       "schema": ULID})
    if spec.takes_if_match:
        params.append({"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                       "description": "ETag of the version you read; a stale one answers 412"})
    return params


def _webhook_body(spec, media: str, refs) -> dict:
    """A webhook's body in one media type: its declared fields as a form or JSON, else what any
    form, JSON, text or bytes may hold."""
    if spec.body is not None:
        return _schema_ref(spec.body, refs)
    if media == "application/x-www-form-urlencoded":
        return {"type": "object", "additionalProperties": {"type": "string"}}
    if media == "application/json" or media.endswith("+json"):
        return {}
    return {"type": "string"} if media.startswith("text/") or media.endswith("xml") else \
        {"type": "string", "format": "binary"}


def _success(spec, refs) -> dict[str, dict[str, Any]]:
    """The answers that are not errors: a webhook's body in its media type, or its empty answer."""
    if spec.kind == "webhook":
        if spec.answers is None:
            return {str(spec.status): {"description": "Received; nothing to answer"}}
        # A JSON answer is a JSON value (our webhooks answer objects); TwiML and other text is a string.
        schema = {"type": "object"} if spec.answers == "application/json" else {"type": "string"}
        return {str(spec.status): {"description": "Answered", "content": {spec.answers: {"schema": schema}}},
                "204": {"description": "Received; nothing to answer"}}
    if spec.status == 204 or (spec.out is None and spec.status == 200 and spec.method == "DELETE"):
        return {"204": {"description": "Done"}}
    content = {"application/json": {"schema": _schema_ref(spec.out, refs)}} if spec.out is not None else \
        {"application/json": {"schema": {"type": "object"}}}
    return {str(spec.status): {"description": "Success", "content": content}}


def _responses(spec, refs) -> dict:
    """The success answer, then one answer per status of the operation's error classes (each
    described by the problem types it may carry), plus what API Gateway answers for it itself."""
    out = _success(spec, refs)  # status -> its response object
    by_status: dict[int, list[type[AppError]]] = {}
    for cls in spec.errors():
        by_status.setdefault(cls.status, []).append(cls)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    gateway = {"application/json": {"schema": {"$ref": "#/components/schemas/GatewayMessage"}}}
    if spec.throttle is not None:
        by_status.setdefault(429, [])
    for status in sorted(by_status):
        described = [f"{cls.title} ({PROBLEM_BASE}{cls.code})" for cls in by_status[status]]
        content = dict(problem) if by_status[status] else {}
        if _gateway_answers(spec, status):
            described.append(_GATEWAY_TEXT[status])
            content = {**gateway, **content}
        out[str(status)] = {"description": "; or ".join(described), "content": content}
    return out


_GATEWAY_TEXT = {401: "No bearer token (API Gateway: {\"message\": \"Unauthorized\"})",
                 403: "Token refused (API Gateway: {\"message\": \"Forbidden\"})",
                 429: "Route throttled (API Gateway: {\"message\": \"Too Many Requests\"})",
                 500: "The function itself failed (API Gateway: {\"message\": \"Internal Server Error\"})"}


def _gateway_answers(spec, status: int) -> bool:
    """Whether API Gateway itself may answer this status for the route (its JSON, not ours)."""
    if status in (401, 403):
        return spec.authenticated
    if status == 429:
        return spec.throttle is not None
    return status == 500
