"""Shapes of eraseMember and exportMember."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shared.members.models.member import MemberOut


class ErasureOut(BaseModel):
    id: str
    member_id: str
    erased_at: int
    fields_erased: list[str]  # the personal fields the member still held (none on a second erasure)
    items_changed: dict[str, int]  # per kind of personal data elsewhere (activity, audit, ...)
    version: int


class MemberExport(BaseModel):
    client_id: str
    exported_at: int
    member: MemberOut
    data: dict[str, list[dict[str, Any]]]  # per kind of personal data: activity, audit, ...
