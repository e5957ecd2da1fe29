"""The one audit writer: every mutation adds an entry to its own transaction (who, what, when,
changed fields before/after with secrets redacted). Read by getUserActivity / getClientActivity."""

from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from shared import clock
from shared.db.table import Item, platform_key, tenant_key
from shared.db.tx import Tx
from shared.ids import new_id

REDACTED = "[redacted]"


class AuditEntry(Item, discriminator="AUDIT"):
    id = UnicodeAttribute()
    client_id = UnicodeAttribute(null=True)
    actor_id = UnicodeAttribute(null=True)
    actor_role = UnicodeAttribute(null=True)
    entity_type = UnicodeAttribute()
    entity_id = UnicodeAttribute()
    operation = UnicodeAttribute()
    changes = UnicodeAttribute(default="{}")  # JSON: {field: {"before": .., "after": ..}}
    at = UnicodeAttribute()  # epoch ms, zero-padded so it sorts as text

    def keys(self):
        scope = (lambda *p: tenant_key(self.client_id, *p)) if self.client_id else platform_key
        sort = f"{self.at}#{self.id}"
        return {
            "PK": scope("AUDIT"), "SK": sort,
            "GSI1PK": scope("AUDIT", self.entity_type, self.entity_id), "GSI1SK": sort,
            "GSI2PK": scope("AUDITBY", self.actor_id or "system"), "GSI2SK": sort,
        }


class Sealed:
    """A secret's value in a snapshot: equal to the same value sealed (so a change is seen), written
    to the log only as REDACTED."""

    __slots__ = ("_value",)

    def __init__(self, value: Any):
        self._value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other._value == self._value

    def __hash__(self) -> int:
        return hash(Sealed)

    def __repr__(self) -> str:
        return REDACTED


def snapshot(item: Item) -> dict[str, Any]:
    """The item as its audit entries see it: what the API shows, plus each secret field it holds
    (declared by its model's `secret_fields`), sealed."""
    view = item.public()
    for name in item.secret_fields:
        value = item.attribute_values.get(name)
        if value is not None:
            view[name] = Sealed(value)
    return view


def changed_fields(before: dict | None, after: dict | None) -> dict[str, dict[str, Any]]:
    """Fields whose value differs, each as {"before", "after"}; secrets redacted, not omitted."""
    before, after = before or {}, after or {}
    out = {}
    for name in sorted(set(before) | set(after)):
        if name in ("version", "updated_at"):
            continue
        old, new = before.get(name), after.get(name)
        if old != new:
            out[name] = {"before": REDACTED if isinstance(old, Sealed) else old,
                         "after": REDACTED if isinstance(new, Sealed) else new}
    return out


def record(tx: Tx, actor, entity_type: str, entity_id: str, operation: str,
           before: dict | None = None, after: dict | None = None, client_id: str | None = None) -> None:
    """Add the audit entry for one mutation to `tx` (so it commits with the mutation or not at all)."""
    tenant = client_id if client_id is not None else getattr(actor, "tenant", None)
    tx.put(AuditEntry(
        id=new_id(), client_id=tenant, actor_id=getattr(actor, "user_id", None),
        actor_role=getattr(actor, "role", None), entity_type=entity_type, entity_id=entity_id,
        operation=operation, at=f"{clock.now_ms():015d}",
        changes=json.dumps(changed_fields(before, after), default=str, separators=(",", ":")),
    ))


def view(entry: AuditEntry) -> dict:
    """An entry as the API shows it (secrets were redacted when it was written)."""
    return {"id": entry.id, "at": int(entry.at), "actor_id": entry.actor_id, "actor_role": entry.actor_role,
            "entity_type": entry.entity_type, "entity_id": entry.entity_id, "operation": entry.operation,
            "changes": json.loads(entry.changes)}
