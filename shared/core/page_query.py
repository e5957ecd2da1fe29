"""Query parameters every list operation accepts (list queries extend it with their filters), and
the page model of a list's answer."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, create_model

from shared.core.paging import DEFAULT_LIMIT, MAX_LIMIT


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)


class DeletedPageQuery(PageQuery):
    """A list that can show soft-deleted items too (for those who may write them)."""

    include_deleted: bool = False


def page_of(item: type[BaseModel], name: str | None = None) -> type[BaseModel]:
    """The answer model of a list of `item`s: `UserOut` → `UserPage` {items, next_cursor}."""
    name = name or item.__name__.removesuffix("Out") + "Page"
    return create_model(name, __module__=item.__module__, items=(list[item], ...),  # type: ignore[valid-type]
                        next_cursor=(str | None, None))
