"""Account emails (verification, password reset) as transactional messages through the send pipeline.

The request that causes one writes it `queued` and puts it on the send queue, so a SendGrid outage never
touches that request, and the send is retried, dead-lettered and recorded like any other message.

Its text carries a single-use link, so the text is stored sealed (KMS envelope encryption bound to the
communication) in `sealed_content`, a secret field: never answered, exported or written to the audit
log; the readable `content` says what the email is, the link withheld. They are the platform's mail,
not a tenant's messages: every one is kept under the platform's own tenant key `P` (which no client has),
the user's tenant in its metadata, so no tenant's lists, reports or usage count them, and no tenant admin
can list another user's reset email.
"""

from __future__ import annotations

from shared.communications import store
from shared.ids import new_id

PLATFORM = "P"
ACCOUNT = "account"  # metadata.kind of an account email


def sealing_context(client_id: str, comm_id: str) -> dict[str, str]:
    return {"communication": comm_id, "client": client_id}


def queue_account_email(client_id: str | None, user_id: str, to_email: str, subject: str, readable: str,
                        text: str) -> str | None:
    """Write an account email `queued` and queue it: its id, or None when SQS refused it (the item stays
    queued; the caller logs it). Quiet hours never hold one back: its message names no channel."""
    from shared.core import settings
    from shared.messaging import queue
    from shared.security import envelope

    tenant, comm_id = PLATFORM, new_id()
    item = store.Communication(
        id=comm_id, client_id=tenant, channel="email", direction="outbound", to_email=to_email,
        from_email=settings.EMAIL_FROM.get(), subject=subject, content=readable,
        sealed_content=envelope.encrypt(text, sealing_context(tenant, comm_id)), message_type="transactional",
        status="queued", provider="sendgrid", user_id=user_id, send_attempt=0, metadata={"kind": ACCOUNT, "client_id": client_id},
        status_history=[store.history_entry("queued")])
    store.comms.create(item, None, "queueAccountEmail")
    return None if queue.enqueue([queue.SendMessage(tenant, comm_id)]) else comm_id


def text_of(item: store.Communication) -> str:
    """What the email says: the sealed text when it has one (the sender's only reader of it)."""
    if not item.sealed_content:
        return item.content
    from shared.security import envelope

    return envelope.decrypt(item.sealed_content, sealing_context(item.client_id, item.id))
