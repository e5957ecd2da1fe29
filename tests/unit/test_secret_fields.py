"""Secret fields are declared once, on the models (`secret_fields`), and every output holds to it:
answers (`Item.public` and the operations' answer shapes), exports (rendered as the API shows them)
and the audit log (a change shown, never a value)."""

from __future__ import annotations

import json
import typing
from pathlib import Path

from pydantic import BaseModel
from pynamodb.attributes import UnicodeAttribute

from shared import audit
from shared.db.discovery import item_models
from shared.db.table import Item
from shared.local.functions import discover

ROOT = Path(__file__).resolve().parents[2]


class Widget(Item, discriminator="TEST_WIDGET"):
    """A model the audit writer has never heard of: its declaration alone must protect its secret."""

    id = UnicodeAttribute()
    name = UnicodeAttribute()
    api_key = UnicodeAttribute(null=True)

    secret_fields = frozenset({"api_key"})

    def keys(self):
        return {"PK": f"P#WIDGET#{self.id}", "SK": "WIDGET"}


def _secret_names() -> set[str]:
    return set().union(*(model.secret_fields for model in item_models()))


def _field_names(shape, seen=None) -> set[str]:
    """Every field name of a pydantic shape, nested shapes (lists, unions, dicts of shapes) included."""
    seen = seen if seen is not None else set()
    if isinstance(shape, type) and issubclass(shape, BaseModel):
        if shape in seen:
            return set()
        seen.add(shape)
        names = set(shape.model_fields)
        for field in shape.model_fields.values():
            names |= _field_names(field.annotation, seen)
        return names
    return set().union(set(), *(_field_names(arg, seen) for arg in typing.get_args(shape)))


def test_the_users_secrets_are_declared_on_its_model():
    assert {"password_hash", "password_reset_token", "email_verification_token", "two_factor_secret",
            "two_factor_pending"} <= _secret_names()


def test_no_answer_shape_has_a_field_for_a_secret():
    secrets = _secret_names()
    shapes = {fn.spec.name: fn.spec.out for fn in discover(ROOT) if fn.spec.out is not None}
    assert shapes, "no operation declares its answer shape"
    leaking = {name: sorted(_field_names(shape) & secrets) for name, shape in shapes.items()}
    assert {name: fields for name, fields in leaking.items() if fields} == {}


def test_public_leaves_out_every_declared_secret():
    from shared.users.store import User

    user = User(id="u1", email="a@b.example", role="user", status="active", created_at=1, updated_at=1,
                **{name: f"value-of-{name}" for name in User.secret_fields if name != "two_factor_pending"},
                two_factor_pending="sealed", two_factor_last_step=7)
    shown = user.public()
    assert not set(shown) & (User.secret_fields | User.hidden)
    assert "value-of" not in json.dumps(shown) and shown["email"] == "a@b.example"
    assert Widget(id="w1", name="w", api_key="k-123456789").public() == {"id": "w1", "name": "w", "version": 1}


def test_the_audit_log_records_that_a_secret_changed_not_its_value():
    before = audit.snapshot(Widget(id="w1", name="old", api_key="k-first-123456"))
    after = audit.snapshot(Widget(id="w1", name="new", api_key="k-second-123456"))
    changes = audit.changed_fields(before, after)
    assert changes == {"name": {"before": "old", "after": "new"},
                       "api_key": {"before": "[redacted]", "after": "[redacted]"}}
    assert "k-first" not in json.dumps(changes) and "k-second" not in json.dumps(changes)
    # The same secret on both sides is no change; a secret set for the first time shows it was set.
    same = audit.snapshot(Widget(id="w1", name="old", api_key="k-first-123456"))
    assert audit.changed_fields(before, same) == {}
    assert audit.changed_fields(None, before)["api_key"] == {"before": None, "after": "[redacted]"}
