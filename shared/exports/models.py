"""Shapes of the export operations (exportClientData, exportSettings) and getExportJob."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ExportStatus = Literal["queued", "running", "completed", "failed"]


class ExportAccepted(BaseModel):
    job_id: str
    client_id: str
    status: ExportStatus
    what: str = Field(description='what the file holds: "tenant" (all of its data) or one kind, e.g. "settings"')
    href: str = Field(description="poll this for progress and, once completed, the download URL")


class ExportJobOut(BaseModel):
    job_id: str
    client_id: str
    status: ExportStatus
    format: str
    what: str
    items_written: int
    bytes_written: int
    parts: int
    requested_by: str | None = None
    created_at: int
    started_at: int | None = None
    completed_at: int | None = None
    error_message: str | None = None
    download_url: str | None = Field(None, description="pre-signed GET, valid for url_expires_in seconds")
    url_expires_in: int | None = None
