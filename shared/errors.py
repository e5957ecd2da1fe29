"""The one error hierarchy. Services and stores raise these; `shared.api` maps them to problem+json.

Each class has a stable problem `type` URI (RFC 9457). Errors are never recognised by message text.
4xx classes are what a client caused; the 5xx ones say a dependency failed (502, 503) or, for
`Internal`, that our code did (the decorator answers it for any exception it does not know).
"""

from __future__ import annotations

PROBLEM_BASE = "https://echelonx.dev/problems/"


class AppError(Exception):
    """A failure a client can cause or should be told about, answered as problem+json."""

    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, *, field: str | None = None,
                 errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.field = field
        self.errors = errors or ([{"field": field, "message": self.detail}] if field else [])
        self.headers = headers or {}

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.code

    def problem(self, instance: str | None = None) -> dict:
        """The RFC 9457 body (without the correlation id, which the decorator adds)."""
        body = {"type": self.type_uri, "title": self.title, "status": self.status, "detail": self.detail}
        if instance:
            body["instance"] = instance
        if self.field:
            body["field"] = self.field
        if self.errors:
            body["errors"] = self.errors
        return body


class ValidationFailed(AppError):
    status, code, title = 400, "validation", "Invalid request"


class Unauthenticated(AppError):
    status, code, title = 401, "unauthenticated", "Authentication failed"


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Not allowed for this role"


class NotFound(AppError):
    status, code, title = 404, "not-found", "Not found"


class Duplicate(AppError):
    """A uniqueness claim is taken; `field` names which one."""

    status, code, title = 409, "duplicate", "Already exists"


class Conflict(AppError):
    """The request is valid but the item's state does not allow it (e.g. a status move)."""

    status, code, title = 409, "conflict", "Conflicts with the current state"


class PreconditionFailed(AppError):
    """If-Match named a version that is no longer current."""

    status, code, title = 412, "precondition-failed", "Version has changed"


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported-media-type", "Unsupported body media type"


class Locked(AppError):
    """Too many failed attempts; `Retry-After` says when to try again."""

    status, code, title = 429, "too-many-attempts", "Too many attempts"


class Unprocessable(AppError):
    """Well-formed, but a provider refused the value (an unreachable phone number, a card declined)."""

    status, code, title = 422, "unprocessable", "Refused by the provider"


class Internal(AppError):
    """An unexpected failure of ours; the body carries only the correlation id to quote."""

    status, code, title = 500, "internal", "Internal error"


class BadGateway(AppError):
    """A provider failed, could not be reached, or refused what we sent for reasons not the caller's."""

    status, code, title = 502, "bad-gateway", "A provider failed"


class Unavailable(AppError):
    """A provider asked us to slow down or come back later, or DynamoDB stayed throttled or failing
    after bounded retries (shared.db.writes); `Retry-After` when it is known."""

    status, code, title = 503, "unavailable", "Temporarily unavailable"


# What an operation that calls a provider may answer (its `raises=`).
UPSTREAM = (Unprocessable, BadGateway, Unavailable)


class UpstreamError(Exception):
    """A dependency failed (shared.providers' ProviderError is one); `app_error()` says what the
    caller is told. A base class here lets the decorator catch it without importing providers."""

    def app_error(self) -> AppError:
        return BadGateway()


class VersionConflict(Exception):
    """A store's conditional write lost a race on `version` (internal: retried or turned into 412)."""
