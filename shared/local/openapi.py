"""`echelonx openapi`: one OpenAPI 3.1 document assembled offline from what the decorators declare."""

from __future__ import annotations

import re

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from shared.local.functions import discover

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
ERROR_STATUSES = {"400": "Invalid input (names the field)", "404": "Not found (also for another tenant's item)",
                  "409": "Duplicate or conflicting state", "412": "If-Match names a stale version",
                  "413": "Body too large", "415": "Body is not JSON", "429": "Too many attempts"}


def build() -> dict:
    functions = [f for f in discover() if f.spec.kind == "api"]
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
    if spec.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _schema_ref(spec.body, refs)}}}
    op["security"] = [] if spec.role is None else [{"bearer": []}]
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
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
              for name in re.findall(r"{(\w+)}", spec.route)]
    if spec.query is not None:
        schema = spec.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    if spec.tenant in TENANT_PARAMETER:
        params.append({"name": "client_id", "in": "query", "required": False, "description": TENANT_PARAMETER[spec.tenant],
                       "schema": {"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$"}})
    if spec.method in ("PATCH", "PUT", "DELETE") and spec.role is not None:
        params.append({"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                       "description": "ETag of the version you read; a stale one answers 412"})
    return params


def _responses(spec, refs) -> dict:
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    if spec.status == 204 or (spec.out is None and spec.status == 200 and spec.method == "DELETE"):
        out = {"204": {"description": "Done"}}
    else:
        content = {"application/json": {"schema": _schema_ref(spec.out, refs)}} if spec.out is not None else \
            {"application/json": {"schema": {"type": "object"}}}
        out = {str(spec.status): {"description": "Success", "content": content}}
    for status, text in ERROR_STATUSES.items():
        out[status] = {"description": text, "content": problem}
    if spec.role is not None:
        gateway = {"application/json": {"schema": {"$ref": "#/components/schemas/GatewayMessage"}}}
        out["401"] = {"description": "No bearer token (answered by API Gateway)", "content": gateway}
        out["403"] = {"description": "Token refused (API Gateway) or role not allowed (problem+json)",
                      "content": {**gateway, **problem}}
    else:
        out["401"] = {"description": "Credentials refused", "content": problem}
        out["403"] = {"description": "Account not active", "content": problem}
    return out
