"""Delivery reports as the providers post them, handed to our callback functions in the caller's thread:
Twilio's signed status callbacks and SendGrid's signed event posts, built by the provider fakes from the
messages they accepted. The bench counts what applying them costs; the fault run posts them three times
each, some out of order. (On `make run` the fakes post them over HTTP instead: /_fake/twilio/auto-callbacks.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

SENDGRID_POST = 100  # events in one SendGrid post (it batches up to a few hundred)


@dataclass(frozen=True)
class Post:
    function: str  # the callback function's logical id
    route: str
    url: str  # as the provider calls it (our public URL)
    body: str
    headers: dict[str, str]


def twilio_status(fakes, sid: str, status: str) -> Post:
    """Twilio's status callback for message `sid` moving to `status` (the fake's message moves too)."""
    from shared.local.fakes import twilio_callbacks

    url, form, headers = twilio_callbacks.status_callback(fakes.state, sid, status)
    return Post("ReceiveTwilioStatusFunction", "POST /webhooks/twilio/status", url, urlencode(form), headers)


def sendgrid_events(fakes, base_url: str, events: list[dict[str, Any]]) -> list[Post]:
    """SendGrid's event webhook posts for `events` (shared.local.fakes.provider_events.sendgrid_event),
    SENDGRID_POST to a post, each signed at its first event's time."""
    posts = []
    for i in range(0, len(events), SENDGRID_POST):
        body = json.dumps(events[i:i + SENDGRID_POST], separators=(",", ":"))
        stamp = str(events[i]["timestamp"])
        posts.append(Post("ReceiveSendgridEventsFunction", "POST /webhooks/sendgrid/events",
                          base_url.rstrip("/") + "/webhooks/sendgrid/events", body, {
                              "Content-Type": "application/json", "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
                              "X-Twilio-Email-Event-Webhook-Signature": fakes.event_key.sign(stamp, body.encode())}))
    return posts


def sendgrid_event(fakes, message_id: str, kind: str) -> dict[str, Any]:
    from shared.local.fakes import provider_events

    return provider_events.sendgrid_event(fakes.state, message_id, kind)


def deliver(runtime, post: Post) -> int:
    """Invoke the post's function with it as API Gateway would hand it over; the status it answered."""
    from shared.local.sample_events import api_event

    parts = urlsplit(post.url)
    event = api_event(post.route, {}, {}, None, None, {k.lower(): v for k, v in post.headers.items()})
    event.update(rawPath=parts.path, rawQueryString=parts.query, body=post.body)
    return int(runtime.functions[post.function].invoke(event).get("statusCode", 500))
