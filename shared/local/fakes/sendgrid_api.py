"""Fake of SendGrid's v3 `POST /v3/mail/send`: Bearer auth, minimal payload validation, 202. The outbox keeps
each email's attachments as sent (base64)."""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING, Any

from .wire import FakeRequest, Reply, json_reply, same_secret

if TYPE_CHECKING:
    from .state import FakeState

_HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message."
_MESSAGES = {
    "personalizations": "The personalizations field is required and must have at least one personalization.",
    "to": "The to array is required for all personalization objects, and must have at least one email object with a valid email address.",
    "from": "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.",
    "subject": "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.",
    "content": "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.",
}


def handle(state: FakeState, request: FakeRequest) -> Reply:
    """Route one SendGrid API request."""
    if not _authorized(state, request):
        return error_reply(
            401, [_error("The provided authorization grant is invalid, expired, or revoked", None)]
        )
    if (request.method, request.path) != ("POST", "/v3/mail/send"):
        return error_reply(404, [_error("resource not found", None)])
    try:
        payload = request.json()
    except ValueError:
        return error_reply(400, [_error("Bad Request", None)])
    errors = validate(payload) if isinstance(payload, dict) else [_error("Bad Request", None)]
    if errors:
        return error_reply(400, errors)
    message_id = (
        base64.urlsafe_b64encode(os.urandom(16)).decode("ascii").rstrip("=")
    )  # 22 chars, like SendGrid's
    _record(state, message_id, payload)
    return Reply(202, b"", {"X-Message-Id": message_id})


def error_reply(status: int, errors: list[dict[str, Any]], headers: dict[str, str] | None = None) -> Reply:
    """SendGrid's error body: {"errors": [{"message", "field", "help"}]}."""
    return json_reply(status, {"errors": errors}, headers)


def fault_reply(status: int) -> Reply:
    """What SendGrid answers when it is overloaded or broken."""
    message = "too many requests" if status == 429 else "internal error"
    return error_reply(status, [_error(message, None)])


def validate(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The handful of v3 rules the fake enforces (SendGrid checks many more)."""
    errors = _personalization_errors(payload.get("personalizations"))
    sender = payload.get("from")
    if not isinstance(sender, dict) or not sender.get("email"):
        errors.append(_error(_MESSAGES["from"], "from"))
    templated = bool(payload.get("template_id"))
    if not templated and not _has_subject(payload):
        errors.append(_error(_MESSAGES["subject"], "subject"))
    if not templated and not _has_content(payload.get("content")):
        errors.append(_error(_MESSAGES["content"], "content"))
    return errors


def _personalization_errors(personalizations: Any) -> list[dict[str, Any]]:
    if not isinstance(personalizations, list) or not personalizations:
        return [_error(_MESSAGES["personalizations"], "personalizations")]
    return [
        _error(_MESSAGES["to"], f"personalizations.{index}.to")
        for index, item in enumerate(personalizations)
        if not _recipients(item)
    ]


def _recipients(personalization: Any) -> list[str]:
    to = personalization.get("to") if isinstance(personalization, dict) else None
    if not isinstance(to, list):
        return []
    return [r["email"] for r in to if isinstance(r, dict) and r.get("email")]


def _has_subject(payload: dict[str, Any]) -> bool:
    if payload.get("subject"):
        return True
    items = payload.get("personalizations") or []
    return bool(items) and all(isinstance(p, dict) and p.get("subject") for p in items)


def _has_content(content: Any) -> bool:
    return isinstance(content, list) and any(
        isinstance(c, dict) and c.get("type") and c.get("value") for c in content
    )


def _error(message: str, field: str | None) -> dict[str, Any]:
    return {"message": message, "field": field, "help": _HELP + field if field else None}


def _authorized(state: FakeState, request: FakeRequest) -> bool:
    expected = f"Bearer {state.credentials.sendgrid_api_key}"
    return same_secret(request.headers.get("authorization", ""), expected)


def _record(state: FakeState, message_id: str, payload: dict[str, Any]) -> None:
    """One outbox entry per recipient, all under the request's X-Message-Id."""
    content = {c.get("type"): c.get("value") for c in payload.get("content") or [] if isinstance(c, dict)}
    for item in payload["personalizations"]:
        for address in _recipients(item):
            state.record(
                "sendgrid",
                "email",
                message_id,
                to=address,
                sender=payload["from"]["email"],
                subject=item.get("subject") or payload.get("subject"),
                body=content.get("text/plain") or content.get("text/html"),
                html=content.get("text/html"),
                custom_args={**(payload.get("custom_args") or {}), **(item.get("custom_args") or {})},
                attachments=_attachments(payload),
            )


def _attachments(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The files as SendGrid got them (content still base64), so a test can compare the bytes."""
    return [{name: a.get(name) for name in ("filename", "type", "disposition", "content_id", "content")}
            for a in payload.get("attachments") or [] if isinstance(a, dict)]
