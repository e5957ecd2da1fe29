"""Email through SendGrid's official SDK (v3 /mail/send).

The SDK is imported on the first send. SENDGRID_API_BASE points it at another host (the local fake).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.core import settings

from . import config
from .errors import ProviderError, from_sendgrid, from_transport
from .result import ProviderResult, scrub

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# python_http_client logs the request headers, Bearer key included, at DEBUG.
_SDK_LOGGER = "python_http_client.client"


@dataclass(frozen=True)
class EmailAttachment:
    """A file to send with an email: its bytes (the SDK base64-encodes them here) and how it is shown."""

    filename: str
    type: str
    content: bytes
    disposition: str = "attachment"  # or "inline", cited by the html as cid:<content_id>
    content_id: str | None = None


def send_email(
    to: str,
    from_: str,
    subject: str | None,
    html: str | None = None,
    text: str | None = None,
    custom_args: Mapping[str, Any] | None = None,
    attachments: Sequence[EmailAttachment] = (),
) -> ProviderResult:
    """Send one email. `custom_args` come back on SendGrid's event webhook. Raises ProviderError.

    SendGrid answers 202 once it has queued the mail; `provider_id` is its X-Message-Id.
    """
    import base64

    from sendgrid.helpers.mail import (
        Attachment,
        ContentId,
        CustomArg,
        Disposition,
        FileContent,
        FileName,
        FileType,
        Mail,
    )

    message = Mail(
        from_email=from_, to_emails=to, subject=subject, plain_text_content=text, html_content=html
    )
    for key, value in (custom_args or {}).items():
        message.add_custom_arg(CustomArg(key, str(value)))  # SendGrid rejects non-string values
    for file in attachments:
        message.add_attachment(Attachment(
            FileContent(base64.b64encode(file.content).decode("ascii")), FileName(file.filename),
            FileType(file.type), Disposition(file.disposition),
            ContentId(file.content_id) if file.content_id else None))
    try:
        message.get()  # the SDK builds the request body here; an address it cannot parse fails here
    except (KeyError, ValueError, TypeError, UnicodeError) as exc:
        raise ProviderError("sendgrid", f"message not accepted by the SDK: {type(exc).__name__}",
                            code="invalid-message") from None
    response = _send(message)
    message_id = response.headers.get("X-Message-Id") or ""
    raw = {"status_code": response.status_code, "message_id": message_id, "to": to}
    return ProviderResult(provider_id=message_id, status="accepted", raw=scrub(raw))


def load_config() -> config.SendGridConfig:
    """SendGrid's settings in effect (the API key fetched from its secret once)."""
    return config.SendGridConfig(api_key=config.secret(settings.SENDGRID_API_KEY_SECRET_ID),
                                 api_base=settings.SENDGRID_API_BASE.get().rstrip("/"), timeout=config.timeout())


def _send(message: Any) -> Any:
    """POST the mail through the SDK, turning every failure into a ProviderError."""
    from http.client import HTTPException
    from urllib.error import URLError

    from python_http_client.exceptions import HTTPError

    client = _client(load_config())
    error: ProviderError
    try:
        return client.send(message)
    except HTTPError as exc:
        error = from_sendgrid(exc)
    except (URLError, HTTPException, OSError) as exc:
        error = from_transport("sendgrid", exc)
    raise error  # not chained: the SDK's request object carries the API key


@functools.lru_cache(maxsize=4)
def _client(cfg: config.SendGridConfig) -> Any:
    from sendgrid import SendGridAPIClient

    _redact_sdk_log()
    client = SendGridAPIClient(api_key=cfg.api_key, host=cfg.api_base)
    # SendGridAPIClient takes no timeout and urllib's default is none at all; the inner client
    # passes this one down to every request it builds.
    client.client.timeout = cfg.timeout
    return client


class _RedactSecrets(logging.Filter):
    """Rewrites a record's message with every known secret value blanked out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = config.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _redact_sdk_log() -> None:
    logger = logging.getLogger(_SDK_LOGGER)
    if not any(isinstance(f, _RedactSecrets) for f in logger.filters):
        logger.addFilter(_RedactSecrets())
