"""Shapes of the setting reads: the stored overrides of a scope, and what is in effect."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from shared.core.page_query import PageQuery, page_of
from shared.settings.models import Category, Key, ScopeType, UserId


class SettingOut(BaseModel):
    id: str
    key: str
    value: JsonValue
    type: ScopeType
    category: str
    client_id: str | None = None
    user_id: str | None = None
    description: str | None = None
    updated_by: str | None = None
    created_at: int
    updated_at: int
    version: int


SettingPage = page_of(SettingOut)


class SettingListQuery(PageQuery):
    type: ScopeType = "client"
    user_id: UserId | None = None
    category: Category | None = None


class EffectiveSettingOut(BaseModel):
    key: str
    value: JsonValue = Field(description="the value in effect for the scope asked")
    source: Literal["user", "client", "system", "default"] = Field(description="where the value comes from")
    category: str
    declared: bool = Field(description="false for a custom.* key")
    description: str | None = None
    default: JsonValue = Field(None, description="the declared default (null: none until set)")
    scopes: list[ScopeType] = Field(description="the scopes the key may be set in")
    type: ScopeType = Field(description="the scope asked: resolution starts there and goes to system, then the default")
    client_id: str | None = None
    user_id: str | None = None
    version: int | None = Field(None, description="the version of this key's item in the scope asked (its ETag; "
                                                  "If-Match of setSetting and deleteSetting); null when not set there")
    updated_at: int | None = None


class KeyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Key
    type: ScopeType | None = Field(None, description="the scope to resolve from; default: the caller's own user "
                                                     "scope (system for a super_admin naming no client)")
    user_id: UserId | None = None


class ViewQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ScopeType | None = Field(None, description="as in getSettingByKey")
    user_id: UserId | None = None


class UserViewQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: UserId | None = None


class SettingsView(BaseModel):
    type: ScopeType
    client_id: str | None = None
    user_id: str | None = None
    category: str | None = None
    settings: list[EffectiveSettingOut] = Field(description="every declared key (of the category) and every "
                                                            "custom key set along the way, in key order")
