"""The `operation` decorator: everything a Lambda behind the HTTP API needs, around one plain function.

API Gateway already routes each request to its own function, so there is no router here: the
decorator reads the v2 event, authorises by permission, validates path/query/body, calls the handler,
serialises the answer and maps every `AppError` to problem+json; a provider failure becomes a
422/502/503 and anything else a 500 that shows the correlation id and nothing of the error. It also
records a `FunctionSpec` that `echelonx template` and `echelonx openapi` read offline.
"""

from __future__ import annotations

import base64
import functools
import re
import time
from typing import TYPE_CHECKING, Any, get_args

from pydantic import BaseModel, ValidationError
from pynamodb.exceptions import PynamoDBException

from shared.api.request import Request
from shared.api.response import Response, http, problem
from shared.api.spec import FunctionSpec
from shared.core import rights
from shared.core.actor import Actor, Scope
from shared.core.log import logger, metrics
from shared.errors import (
    AppError,
    Forbidden,
    Internal,
    PayloadTooLarge,
    Unauthenticated,
    UnsupportedMediaType,
    UpstreamError,
    ValidationFailed,
)
from shared.ids import ULID_PATTERN

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_BODY_BYTES = 256 * 1024
# The most an operation may declare (`max_body=`): Lambda takes a synchronous event of at most 6 MB, and the
# body sits in it as a JSON string, among the headers and the request context.
LAMBDA_BODY_BYTES = 5_800_000


def operation(route: str, *, permission: str | None = None, own: bool = False, public: bool = False,
              tenant: str = "query", body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              path: dict[str, Any] | None = None, out: Any = None, status: int = 200, name: str | None = None,
              heavy: bool = False, throttle: tuple[int, float] | None = None,
              raises: tuple[type[AppError], ...] = (), if_match: bool = False, max_body: int | None = None):
    """Declare an HTTP operation: `"METHOD /path/{param}"` and the permission it needs.

    `own=True`: a caller holding only the own-record form of the permission (`users:read:own`) is let
    in too, and the service checks the item with `Scope.require`. `public=True`: no caller at all.
    `tenant` says where the acting tenant comes from: "query" (a super_admin may name `client_id`,
    else platform scope), "required" (a super_admin must name it), "path" (the path's `{id}` is the
    tenant: /clients/{id}/...) or "platform" (the operation names no tenant).

    `path` gives the values a non-id path parameter accepts (`{"tier": TIERS}`, a tuple or a
    Literal); `{id}` and `{*_id}` are ULIDs without saying so. `throttle=(burst, requests per
    second)` is the route's own API Gateway limit (template.yaml), for operations that cost more
    than the stage default allows for (bulk writes, searches, exports). `raises` names the errors
    its service may raise beyond those its declaration implies (`FunctionSpec.errors`). `if_match=True`:
    an action (a POST) that changes the item it names honours If-Match (PATCH, PUT and DELETE always do).
    `max_body`: the bytes of body it takes, for an operation that carries files (default MAX_BODY_BYTES, at
    most LAMBDA_BODY_BYTES)."""
    method, route_path = route.split(" ", 1)
    if public == (permission is not None):
        raise ValueError(f"{route}: declare a permission, or public=True")
    if permission is not None and permission not in rights.CATALOGUE:
        raise ValueError(f"{route}: unknown permission {permission!r}")
    if tenant not in TENANT_MODES:
        raise ValueError(f"{route}: tenant must be one of {TENANT_MODES}")
    path_rules = _path_rules(route, path)
    if max_body is not None and not MAX_BODY_BYTES < max_body <= LAMBDA_BODY_BYTES:
        raise ValueError(f"{route}: max_body must be above {MAX_BODY_BYTES} and at most {LAMBDA_BODY_BYTES}")

    def wrap(fn):
        spec = FunctionSpec(kind="api", name=name or _operation_name(fn.__module__), method=method,
                            route=route_path, role=_minimum_role(permission, own), permission=permission, own=own,
                            tenant=None if public else tenant, body=body, query=query, path=path_rules, out=out,
                            status=status, summary=(fn.__doc__ or "").strip(), heavy=heavy, throttle=throttle,
                            raises=raises, if_match=if_match, max_body=max_body)
        return http_function(spec, _operate, fn)

    return wrap


def http_function(spec: FunctionSpec, respond: Callable[..., dict], fn):
    """The Lambda handler of an HTTP function declared by `spec`: `respond(spec, fn, event,
    requestContext, headers, correlation_id)` gives its answer, inside `_invoke`."""
    bound = functools.partial(respond, spec, fn)

    @functools.wraps(fn)
    def handler(event: dict, context: Any = None) -> dict:
        return _invoke(spec, event, bound)

    handler.spec = spec  # type: ignore[attr-defined]  # read by echelonx template/openapi and the local runtime
    return handler


TENANT_MODES = ("query", "required", "path", "platform")
_ULID = re.compile(ULID_PATTERN)
_TENANT_ID = _ULID  # a ULID, as every client id is


def _minimum_role(permission: str | None, own: bool) -> str | None:
    """The lowest role the rights table admits (for OpenAPI and the template; None = public)."""
    if permission is None:
        return None
    from shared.core.actor import Actor

    for role in sorted(rights.ROLES, key=rights.ROLE_RANK.__getitem__):
        if rights.admits(Actor("", role, None), permission, own):
            return role
    return "super_admin"


def _invoke(spec: FunctionSpec, event: dict, respond: Callable[[dict, dict, dict, str], dict]) -> dict:
    """One request of an HTTP function (an operation or a webhook): `respond(event, requestContext,
    headers, correlation_id)` gives the answer; errors, logs and metrics are handled here alike."""
    ctx = event.get("requestContext") or {}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    correlation_id = headers.get("x-correlation-id") or ctx.get("requestId") or _new_correlation_id()
    logger.append_keys(correlation_id=correlation_id, operation=spec.name)
    started = time.perf_counter()
    try:
        answer = respond(event, ctx, headers, correlation_id)
    except AppError as err:
        answer = problem(err, event.get("rawPath", ""), correlation_id)
    except UpstreamError as err:
        answer = problem(_upstream(err), event.get("rawPath", ""), correlation_id)
    except PynamoDBException as err:
        answer = problem(_database(err), event.get("rawPath", ""), correlation_id)
    except Exception:  # noqa: BLE001 - whatever our code did not expect is a 500, never a crash of the function
        logger.exception("unexpected error")  # once, with the traceback; the correlation id is a key of every line
        answer = problem(Internal("an unexpected error; quote the correlation id when you report it"),
                         event.get("rawPath", ""), correlation_id)
    metrics.add_dimension(name="operation", value=spec.name)
    metrics.add_metric(name="Requests", unit="Count", value=1)
    if answer["statusCode"] >= 500:
        metrics.add_metric(name="ServerErrors", unit="Count", value=1)
    elif answer["statusCode"] >= 400:
        metrics.add_metric(name="ClientErrors", unit="Count", value=1)
    metrics.flush_metrics()
    metrics.clear_metrics()  # flush skips clearing when metrics are disabled (locally); dimensions must not pile up
    logger.info("request", extra={"status": answer["statusCode"],
                                  "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
    return answer


def _operate(spec: FunctionSpec, fn, event: dict, ctx: dict, headers: dict, correlation_id: str) -> dict:
    req, data = _request(spec, event, ctx, headers, correlation_id)
    args = (req, data) if spec.body is not None else (req,)
    return _answer(spec, fn(*args), correlation_id)


def _database(err: PynamoDBException) -> AppError:
    """DynamoDB busy after the SDK's retries (any read or plain write): 503, as conditional writes
    and transactions answer; anything else it refused is our defect, a 500."""
    from shared.db import writes

    if writes.busy(err):
        return writes.unavailable(err)
    logger.exception("unexpected database error")
    return Internal("an unexpected error; quote the correlation id when you report it")


def _upstream(err: UpstreamError) -> AppError:
    """The answer for a failed dependency; logged without a traceback (a ProviderError's str is
    redacted, and its SDK exception is deliberately not chained)."""
    answer = err.app_error()
    logger.warning("provider error", extra={"error": str(err), "status": answer.status})
    return answer


def _request(spec: FunctionSpec, event: dict, ctx: dict, headers: dict, correlation_id: str) -> tuple[Request, Any]:
    actor = _actor(spec, ctx)
    raw_query = dict(event.get("queryStringParameters") or {})
    named = raw_query.pop("client_id", None) if spec.tenant in ("query", "required") else None
    path = _path(spec, event.get("pathParameters") or {})
    query = _validate(spec.query, raw_query, "query") if spec.query is not None else raw_query
    data = _body(spec, event, headers) if spec.body is not None else None
    scope = _scope(spec, actor, named, path, data) if actor is not None else None
    http_ctx = ctx.get("http") or {}
    req = Request(operation=spec.name, method=spec.method, path=path, query=query, headers=headers, scope=scope,
                  correlation_id=correlation_id, source_ip=http_ctx.get("sourceIp"),
                  user_agent=http_ctx.get("userAgent"), raw_path=event.get("rawPath", ""))
    return req, data


def _actor(spec: FunctionSpec, ctx: dict) -> Actor | None:
    if spec.permission is None:
        return None
    context = ((ctx.get("authorizer") or {}).get("lambda")) or {}
    if not context.get("user_id"):
        # API Gateway never lets an unauthorised request through; this is defence in depth.
        raise Unauthenticated("no authenticated caller")
    actor = Actor.from_authorizer(context)
    if not rights.admits(actor, spec.permission, spec.own):
        raise Forbidden(f"{spec.name} needs {spec.permission}")
    return actor


def _scope(spec: FunctionSpec, actor: Actor, named: str | None, path: dict, data: Any) -> Scope:
    """The tenant this request acts in, resolved once: the caller's own; for a super_admin the one it
    names (or platform scope). Naming another tenant finds nothing (404): existence is not leaked."""
    if spec.tenant == "platform":
        return Scope(actor, actor.tenant)
    where = "/path/id" if spec.tenant == "path" else "/query/client_id"
    if spec.tenant == "path":
        named = path.get("id")
    else:
        in_body = getattr(data, "client_id", None)
        if in_body is not None and named is not None and in_body != named:
            raise ValidationFailed("client_id in the body and the query differ", field="/body/client_id")
        if named is None and in_body is not None:
            named, where = in_body, "/body/client_id"
    if not rights.holds(actor, rights.ACROSS_TENANTS):
        if named is not None:
            Scope(actor, actor.tenant).reach(named)
        return Scope(actor, actor.tenant)
    if named is not None and not _TENANT_ID.match(named):
        raise ValidationFailed("client_id is not a client id", field=where)
    if named is None and spec.tenant == "required":
        raise ValidationFailed("name the client to act in", field="/query/client_id")
    if named is not None and spec.tenant != "path":
        from shared.clients.service import require_tenant  # a super_admin naming a tenant: it must exist

        require_tenant(named)
    return Scope(actor, named)


def _path_rules(route: str, declared: dict[str, Any] | None) -> dict[str, tuple[str, ...] | None]:
    """Each `{param}` of the route and what it accepts: None for an id (a ULID), else its values.
    A parameter that is neither an id nor declared is refused here, at import: nothing a client
    sends may reach a key unchecked."""
    declared = dict(declared or {})
    rules: dict[str, tuple[str, ...] | None] = {}
    for name in re.findall(r"{(\w+)}", route):
        if name in declared:
            values = declared.pop(name)
            rules[name] = tuple(get_args(values) or values)
        elif name == "id" or name.endswith("_id"):
            rules[name] = None
        else:
            raise ValueError(f"{route}: declare the values of {{{name}}} with path={{{name!r}: ...}}")
    if declared:
        raise ValueError(f"{route} has no path parameter {next(iter(declared))!r}")
    return rules


def _path(spec: FunctionSpec, raw: dict[str, str]) -> dict[str, str]:
    """The route's parameters, each checked (a 400 naming /path/<name>); nothing undeclared passes."""
    path = {}
    for name, values in spec.path.items():
        value = raw.get(name, "")
        if values is None and not _ULID.fullmatch(value):
            raise ValidationFailed(f"{name} must be an id this API returned (a ULID: 26 characters, "
                                   "Crockford base32, upper case)", field=f"/path/{name}")
        if values is not None and value not in values:
            raise ValidationFailed(f"{name} must be one of {', '.join(values)}", field=f"/path/{name}")
        path[name] = value
    return path


def _body(spec: FunctionSpec, event: dict, headers: dict) -> Any:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded") and raw:
        raw = base64.b64decode(raw).decode("utf-8", errors="replace")
    # surrogatepass: a hand-made event may carry half a UTF-16 pair; the parser below refuses it.
    _limit(len(raw.encode("utf-8", errors="surrogatepass")), spec.max_body or MAX_BODY_BYTES)
    ctype = media_type(headers, "application/json")
    if raw and ctype != "application/json" and not ctype.endswith("+json"):
        raise UnsupportedMediaType("the body must be application/json", field="/body")
    if not raw.strip():
        raise ValidationFailed("this operation needs a JSON body", field="/body")
    return _validate(spec.body, raw, "body")


def _limit(size: int, most: int = MAX_BODY_BYTES) -> None:
    if size > most:
        raise PayloadTooLarge(f"the body may be at most {most} bytes", field="/body")


def media_type(headers: dict, default: str = "") -> str:
    """The request's Content-Type without its parameters, in lower case."""
    return headers.get("content-type", default).split(";")[0].strip().lower()


def _validate(model: type[BaseModel], data: Any, where: str) -> Any:
    """Query strings and forms are text, parsed into the declared types (lax). A body is JSON text,
    held to the types it is written in (strict: `false` is no number, `5` no string); pydantic's
    parser also refuses what would break later: nesting past its depth limit, half a UTF-16 pair
    (`"\\ud83c"`)."""
    try:
        if isinstance(data, str | bytes):
            return model.model_validate_json(data, strict=True)
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
