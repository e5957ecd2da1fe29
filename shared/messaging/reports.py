"""getOptOutRequests and getSpamReports: a tenant's opt-out records and SendGrid spam reports, newest first,
one query a page (communications:read)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.core.paging import page

if TYPE_CHECKING:
    from shared.core.actor import Scope


def opt_out_requests(scope: Scope, q: Any) -> dict:
    """getOptOutRequests: every opt-out record (an SMS STOP keyword, a SendGrid unsubscribe or spam report,
    Twilio's 21610), newest first."""
    from shared.messaging import store

    items, last = store.opt_outs(scope.tenant_required(), q.limit, q.cursor)
    return page(items, last, lambda r: r.public())


def spam_reports(scope: Scope, q: Any) -> dict:
    """getSpamReports: SendGrid's spamreport events received, newest first."""
    from shared.webhooks import store

    items, last = store.page(scope.tenant_required(), event_type="spamreport", limit=q.limit, cursor=q.cursor,
                             keep=lambda w: w.provider == "sendgrid")
    return page(items, last, lambda w: w.public())
