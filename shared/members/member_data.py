"""What the members domain holds about one member besides the member item (shared.db.personal_data):

- `activity`: its activity events (trackMemberActivity), in its own partition (`SK ACTIVITY#...`):
  exported whole; erasing removes each event's `metadata` (free JSON the tenant sent: pages,
  products, anything) and keeps its type and time, which the engagement score reads.
- `audit`: the audit entries about the member (GSI1, one partition per member): exported as the API
  shows them; erasing replaces the values of the erased fields in them by "[redacted]", keeping who
  changed what and when (shared.members.privacy.ERASED_FIELDS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.attributes import JSONAttribute
from pynamodb.exceptions import UpdateError

from shared import audit
from shared.db.personal_data import PersonalData
from shared.db.projections import image
from shared.db.table import Item
from shared.members.store import member_key

if TYPE_CHECKING:
    from collections.abc import Iterator

ACTIVITY_PREFIX = "ACTIVITY#"
_METADATA = JSONAttribute(attr_name="metadata")
_BOOKKEEPING = frozenset(Item._KEY_ATTRIBUTES) | {"version"}


def _activity(client_id: str, member_id: str) -> Iterator[dict]:
    """The member's activity events, oldest first, page by page (one query of its partition each)."""
    conn, start = Item._get_connection(), None
    while True:
        page = conn.query(member_key(client_id, member_id), range_key_condition=Item.SK.startswith(ACTIVITY_PREFIX),
                          exclusive_start_key=start)
        yield from (image(raw) for raw in page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def export_activity(client_id: str, member_id: str) -> Iterator[dict]:
    for event in _activity(client_id, member_id):
        line = {k: v for k, v in event.items() if k not in _BOOKKEEPING}
        if line.get("metadata") is not None:  # stored as JSON text, as its attribute writes it
            line["metadata"] = _METADATA.deserialize(line["metadata"])
        yield line


def erase_activity(client_id: str, member_id: str) -> int:
    """Remove the metadata of each event that still has some."""
    conn, changed = Item._get_connection(), 0
    for event in _activity(client_id, member_id):
        if event.get("metadata") is not None:
            try:  # on the event as it is: one deleted meanwhile is not written back as a fragment
                conn.update_item(event["PK"], range_key=event["SK"], actions=[_METADATA.remove()],
                                 condition=Item.PK.exists())
            except UpdateError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
                continue
            changed += 1
    return changed


def export_audit(client_id: str, member_id: str) -> Iterator[dict]:
    yield from (audit.view(entry) for entry in audit.item_entries(client_id, "member", member_id))


def erase_audit(client_id: str, member_id: str) -> int:
    from shared.members.privacy import ERASED_FIELDS

    return sum(audit.redact(entry, ERASED_FIELDS) for entry in audit.item_entries(client_id, "member", member_id))


SOURCES = (PersonalData("activity", export_activity, erase_activity),
           PersonalData("audit", export_audit, erase_audit))
