"""Shapes of importMembers and getMemberImport."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ImportStatus = Literal["waiting_for_upload", "running", "completed", "failed"]


class ImportUpload(BaseModel):
    url: str = Field(description="pre-signed S3 PUT; the upload starts the import")
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str] = Field(description="send exactly these headers with the PUT")
    expires_in: int = Field(description="seconds the URL stays valid")


class ImportStarted(BaseModel):
    job_id: str
    status: ImportStatus
    upload: ImportUpload
    href: str = Field(description="poll this for progress and, once completed, the results file")


class ImportJobOut(BaseModel):
    job_id: str
    client_id: str
    status: ImportStatus
    rows_read: int
    rows_created: int
    rows_updated: int
    rows_unchanged: int = Field(description="rows equal to the member already held: nothing written")
    rows_failed: int
    bytes_read: int
    size: int | None = Field(None, description="the uploaded file's size in bytes, once the import has begun")
    columns: list[str] | None = None
    requested_by: str | None = None
    created_at: int
    started_at: int | None = None
    completed_at: int | None = None
    error_message: str | None = Field(None, description="why the whole file was refused (unknown columns, ...)")
    results_url: str | None = Field(None, description="pre-signed GET of the results CSV (line, member_id, "
                                                      "column, reason per bad row), valid url_expires_in seconds")
    url_expires_in: int | None = None
