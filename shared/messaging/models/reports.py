"""Shapes of getOptOutRequests and getSpamReports (seed section 4)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.core.page_query import PageQuery, page_of


class OptOutOut(BaseModel):
    """One opt-out, as recorded: the proof of it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    client_id: str
    channel: str
    address: str = Field(description="the phone (E.164) or email address that opted out")
    action: str
    source: str = Field(description="inbound_keyword (an SMS STOP), email_event (SendGrid), provider_error "
                        "(Twilio 21610)")
    keyword: str | None = Field(None, description="the keyword as sent (STOP, UNSUBSCRIBE, ...) or the event")
    sender: str | None = Field(None, description="our number it was sent to")
    at: int


OptOutPage = page_of(OptOutOut)


class ReportQuery(PageQuery):
    pass
