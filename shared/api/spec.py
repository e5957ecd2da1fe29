"""What a function module declares about itself. `echelonx template` and `echelonx openapi` read
these offline; at cold start it is one small object per function."""

from __future__ import annotations

from typing import Any

# An id as `shared.ids.new_id` writes it: a ULID, 26 characters of Crockford base32 (no I, L, O, U),
# upper case; the first is at most 7 (128 bits). Path `{id}`/`{*_id}` parameters must match it.
ULID_PATTERN = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"


class FunctionSpec:
    """One Lambda function: its kind decides memory, timeout and trigger in template.yaml.

    A plain class (no @dataclass): every handler builds one at import."""

    def __init__(self, kind: str, name: str, trigger: dict | None = None, method: str = "", route: str = "",
                 role: str | None = None, permission: str | None = None, own: bool = False,
                 tenant: str | None = None, body: Any = None, query: Any = None,
                 path: dict[str, tuple[str, ...] | None] | None = None, out: Any = None, status: int = 200,
                 summary: str = "", heavy: bool = False, throttle: tuple[int, float] | None = None):
        self.kind = kind  # "api" | "authorizer" | "queue" | "stream" | "schedule"
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

    def __repr__(self) -> str:
        return f"FunctionSpec({self.kind!r}, {self.name!r})"
