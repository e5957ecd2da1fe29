"""The directory of tenants' SMS senders, kept by the stream consumer: which tenant a number belongs to.

Twilio's inbound webhook names the number a message was sent to (`To`), not the tenant: a client-scope
`sms.default_sender` setting that is an E.164 number keeps a token `P#SMS_SENDER#<number>` / `<client_id>`
(shared.db.projections' token items: moved and removed with the setting), so the inbound callback finds
the tenant with one query. A number two tenants declare is nobody's (the callback refuses it).
"""

from __future__ import annotations

import json

from shared.db import projections
from shared.db.table import platform_key

SENDER_KEY = "sms.default_sender"


def sender_partition(number: str) -> str:
    return platform_key("SMS_SENDER", number)


@projections.search_index("SETTING", "sms-sender-directory")
def sms_sender_directory(setting: dict) -> set[tuple[str, str]]:
    """The token of a tenant's declared E.164 sender (a Messaging Service SID receives nothing itself)."""
    if setting.get("type") != "client" or setting.get("key") != SENDER_KEY or setting.get("deleted_at"):
        return set()
    raw = setting.get("value")
    value = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(value, str) or not value.startswith("+") or not setting.get("client_id"):
        return set()
    return {(sender_partition(value), str(setting["client_id"]))}
