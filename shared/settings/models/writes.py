"""Shapes of the setting writes: set, remove, bulk, reset."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from shared.core.bulk import MAX_ITEMS
from shared.settings.models import Key, ScopeType, UserId

_STRICT = ConfigDict(extra="forbid")


class SettingWrite(BaseModel):
    model_config = _STRICT

    key: Key
    value: JsonValue = Field(description="checked against the key's declared type; a custom key: JSON up to 4 KB")
    type: ScopeType = "client"
    user_id: UserId | None = None
    description: str | None = Field(None, max_length=500)


class KeyInScope(BaseModel):
    model_config = _STRICT

    key: Key
    type: ScopeType = "client"
    user_id: UserId | None = None


class BulkSettingChange(SettingWrite):
    version: int | None = Field(None, ge=1, description="as If-Match: refused (412) if the setting moved on")

    @property
    def id(self) -> str:
        """How the bulk answer names this item: `<type>[:<user>]:<key>`."""
        return ":".join(p for p in (self.type, self.user_id, self.key) if p)


class BulkSettingsUpdate(BaseModel):
    model_config = _STRICT

    updates: list[BulkSettingChange] = Field(min_length=1, max_length=MAX_ITEMS)


class ResetSettings(BaseModel):
    model_config = _STRICT

    type: ScopeType = "client"
    user_id: UserId | None = None
    keys: list[Key] | None = Field(None, min_length=1, max_length=MAX_ITEMS,
                                   description="the keys to reset; absent: every setting of the scope")


class ResetOut(BaseModel):
    type: ScopeType
    client_id: str | None = None
    user_id: str | None = None
    removed: list[str] = Field(description="the keys whose overrides were removed (now inherited)")
    count: int
