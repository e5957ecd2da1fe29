"""What a handler receives: the caller's scope and the parsed parts of the HTTP API v2 event."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.core.actor import Actor, Scope


class Request:
    """A parsed request. `query` is the validated query model (or a plain dict when none is declared);
    `scope` is the caller acting in its resolved tenant (None for public operations)."""

    __slots__ = ("operation", "method", "path", "query", "headers", "scope", "correlation_id", "source_ip",
                 "user_agent", "raw_path")

    def __init__(self, operation: str, method: str, path: dict[str, str], query: Any, headers: dict[str, str],
                 scope: Scope | None, correlation_id: str, source_ip: str | None = None,
                 user_agent: str | None = None, raw_path: str = ""):
        self.operation, self.method, self.path, self.query = operation, method, path, query
        self.headers, self.scope, self.correlation_id = headers, scope, correlation_id
        self.source_ip, self.user_agent, self.raw_path = source_ip, user_agent, raw_path

    @property
    def actor(self) -> Actor | None:
        return self.scope.actor if self.scope is not None else None

    @property
    def tenant(self) -> str | None:
        return self.scope.tenant if self.scope is not None else None

    @property
    def if_match(self) -> int | None:
        """The version named by If-Match (`"3"`, `W/"3"` or `3`); None when absent or `*`."""
        value = self.headers.get("if-match")
        if not value or value.strip() == "*":
            return None
        from shared.errors import ValidationFailed

        token = value.strip().removeprefix("W/").strip('"')
        if not (token.isascii() and token.isdigit()):  # "²".isdigit() is True, int("²") is not
            raise ValidationFailed("If-Match must be an ETag this API returned", field="/headers/if-match")
        return int(token)
