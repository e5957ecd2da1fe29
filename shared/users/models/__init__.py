"""User shapes, one module per kind of operation, so a handler builds only the pydantic models it
uses (each costs cold start). This package file holds only the field types they share."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.formats import EMAIL_PATTERN

Role = Literal["admin", "manager", "user", "super_admin"]
UserStatus = Literal["active", "inactive", "suspended", "pending"]
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN)]
Password = Annotated[str, Field(min_length=10, max_length=256)]
Name = Field(None, min_length=1, max_length=100)
