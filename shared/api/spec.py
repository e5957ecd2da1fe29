"""What a function module declares about itself. `echelonx template` and `echelonx openapi` read
these offline; nothing here runs at cold start beyond building the dataclass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function: its kind decides memory, timeout and trigger in template.yaml."""

    kind: str  # "api" | "authorizer" | "queue" | "stream" | "schedule"
    name: str  # the operation name, as the seed spells it (operationId for api functions)
    trigger: dict = field(default_factory=dict)  # kind-specific: route, queue, stream, schedule
    # kind == "api" only:
    method: str = ""
    route: str = ""
    role: str | None = None  # minimum role; None = public (no authorizer)
    permission: str | None = None  # a `resource:action` grant that also admits the caller
    body: Any = None
    query: Any = None
    out: Any = None
    status: int = 200
    summary: str = ""
    heavy: bool = False  # needs more memory/CPU (argon2 hashing, exports)
