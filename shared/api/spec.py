"""What a function module declares about itself. `echelonx template` and `echelonx openapi` read
these offline; at cold start it is one small object per function."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.errors import AppError


class FunctionSpec:
    """One Lambda function: its kind decides memory, timeout and trigger in template.yaml.

    A plain class (no @dataclass): every handler builds one at import."""

    def __init__(self, kind: str, name: str, trigger: dict | None = None, method: str = "", route: str = "",
                 role: str | None = None, permission: str | None = None, own: bool = False,
                 tenant: str | None = None, body: Any = None, query: Any = None,
                 path: dict[str, tuple[str, ...] | None] | None = None, out: Any = None, status: int = 200,
                 summary: str = "", heavy: bool = False, throttle: tuple[int, float] | None = None,
                 raises: tuple[type[AppError], ...] = (), accepts: tuple[str, ...] = (), answers: str | None = None,
                 if_match: bool = False, max_body: int | None = None):
        self.kind = kind  # "api" | "webhook" | "authorizer" | "queue" | "stream" | "schedule"
        self.name = name  # the operation name, as the seed spells it (operationId for api functions)
        self.trigger = trigger or {}  # kind-specific: queue, stream, schedule
        self.method, self.route = method, route  # api only
        self.role = role  # the lowest role the rights table admits; None = public (no authorizer)
        self.permission = permission  # the `resource:action` grant the operation needs
        self.own = own  # the own-record form of the grant admits too (the service checks the item)
        self.tenant = tenant  # where the acting tenant comes from (see shared.api.operation)
        self.body, self.query, self.out = body, query, out
        self.path = path or {}  # route parameter → its allowed values, or None for a ULID id
        self.status = status
        self.summary = summary
        self.heavy = heavy  # needs more memory/CPU (argon2 hashing, exports)
        self.throttle = throttle  # (burst, rate per second) of this route in the API stage; None = the default
        self.raises = raises  # AppError classes only the service knows it raises (see errors())
        self.accepts = accepts  # webhook only: the request media types it takes (its body as sent)
        self.answers = answers  # webhook only: the media type of the answers it writes; None = empty ones
        self.if_match = if_match  # an action (a POST) that changes the item it names honours If-Match
        self.max_body = max_body  # bytes of request body taken; None: shared.api.operation.MAX_BODY_BYTES

    def __repr__(self) -> str:
        return f"FunctionSpec({self.kind!r}, {self.name!r})"

    @property
    def authenticated(self) -> bool:
        """Behind the authorizer (a bearer token is needed)."""
        return self.permission is not None

    @property
    def names_an_item(self) -> bool:
        """The route has an id parameter (`{id}`, `{job_id}`)."""
        return any(values is None for values in self.path.values())

    @property
    def names_a_tenant(self) -> bool:
        """The caller may name a tenant (`client_id` in the query or body), which may not exist."""
        return self.tenant in ("query", "required") or "client_id" in getattr(self.body, "model_fields", {})

    @property
    def takes_if_match(self) -> bool:
        """A write that honours If-Match: the version read (of the item; for a bulk, each item's default).
        Every PATCH, PUT and DELETE; an action (POST) when it declares so."""
        return self.authenticated and (self.method in ("PATCH", "PUT", "DELETE") or self.if_match)

    def errors(self) -> list[type[AppError]]:
        """The problem classes this operation may answer, derived from what it declares, so no list
        of operations exists anywhere: inputs may be invalid (400), a token may be missing or lack
        the permission (401/403), a named item or tenant may not exist (404), a write may collide
        (409), an If-Match may be stale (412), a body may be too big or not JSON (413/415), a write
        DynamoDB keeps throttling answers 503 (shared.db.writes), and anything may fail (500). `raises` adds what only the service knows (a public login's 401,
        403 and 429; `shared.errors.UPSTREAM` for an operation that calls a provider). Read offline
        (`echelonx openapi`), never at cold start."""
        from shared import errors as e

        found: list[type[AppError]] = list(self.raises)
        inputs = self.path or self.query is not None or self.body is not None or self.names_a_tenant
        inputs = inputs or "application/x-www-form-urlencoded" in self.accepts  # a form's field sent twice
        if inputs or self.takes_if_match:
            found.append(e.ValidationFailed)
        if self.authenticated:
            found += [e.Unauthenticated, e.Forbidden]
        if self.names_an_item or self.names_a_tenant:
            found.append(e.NotFound)
        if self.authenticated and self.method != "GET":
            found += ([e.Duplicate] if self.body is not None and self.method != "DELETE" else []) + [e.Conflict]
        if self.takes_if_match and self.names_an_item:  # a bulk answers each item's 412 inside its 200
            found.append(e.PreconditionFailed)
        if self.body is not None or self.accepts:
            found += [e.PayloadTooLarge, e.UnsupportedMediaType]
        if self.method != "GET":
            found.append(e.Unavailable)
        found.append(e.Internal)
        return sorted(dict.fromkeys(found), key=lambda cls: cls.status)
