"""The send queue's messages: what they say, and the two ways one is put there.

A message names one communication and the provider attempt it is for: `{"client_id", "id", "attempt"}`,
plus `"settle": true` for a delayed check of an attempt whose outcome the provider did not confirm, and
what the sender decides on before it touches the item: the channel and the recipient's time zone
(`"channel"`, `"zone"`: quiet hours are checked, and a message deferred, without a read or a write), the
sender it goes from (`"sender"`: the bucket it is paced in) and, once booked, its second (`"slot"`), and
for frequency caps the member and whether it is marketing (`"member"`, `"marketing"`).
The sender puts one whose attempts are spent on the dead-letter queue itself (sender.dead_letter).
Idempotency is keyed on (communication id, attempt), never on the SQS message id: a retry is a new
message for attempt n + 1, and the sender's conditional take of an attempt makes every copy of a
message after the first a no-op.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from shared.core import aws, settings

if TYPE_CHECKING:
    from collections.abc import Iterable

BATCH = 10  # SendMessageBatch's most
MAX_DELAY_S = 900  # SQS's longest DelaySeconds


@dataclass(frozen=True)
class SendMessage:
    client_id: str
    id: str
    attempt: int = 1
    settle: bool = False
    channel: str | None = None
    zone: str | None = None  # the member's IANA time zone; None: the tenant's
    sender: str | None = None  # the from_number / from_email: the bucket it is paced in
    slot: int | None = None  # the clock second its send is booked into (pacing), once booked
    member: str | None = None  # the member it goes to, and whether it is marketing: frequency caps
    marketing: bool = False

    def body(self) -> str:
        out: dict = {"client_id": self.client_id, "id": self.id, "attempt": self.attempt}
        out.update({k: v for k, v in (("settle", self.settle), ("channel", self.channel), ("zone", self.zone),
                                      ("sender", self.sender), ("slot", self.slot), ("member", self.member),
                                      ("marketing", self.marketing)) if v})
        return json.dumps(out, separators=(",", ":"))

    def of(self, attempt: int, settle: bool = False) -> SendMessage:
        """The message of another attempt of the same communication (or the check of this one)."""
        return replace(self, attempt=attempt, settle=settle, slot=None)

    @classmethod
    def parse(cls, body: str) -> SendMessage:
        data = json.loads(body)
        slot = data.get("slot")
        return cls(str(data["client_id"]), str(data["id"]), int(data.get("attempt", 1)), bool(data.get("settle")),
                   data.get("channel"), data.get("zone"), data.get("sender"), int(slot) if slot is not None else None,
                   data.get("member"), bool(data.get("marketing")))


def enqueue(messages: Iterable[SendMessage]) -> list[str]:
    """Queue first attempts, SendMessageBatch by 10. A message SQS does not take (an entry it refuses, or
    a batch call that fails) is parked due in a minute, so the sweeper queues it then: a communication
    recorded `queued` always has a way to the sender. The ids neither took (the caller reports them)."""
    from botocore.exceptions import BotoCoreError, ClientError

    listed = list(messages)
    refused: list[SendMessage] = []
    sqs = aws.client("sqs")
    for start in range(0, len(listed), BATCH):
        chunk = listed[start:start + BATCH]
        try:
            answer = sqs.send_message_batch(QueueUrl=settings.SEND_QUEUE_URL.get(), Entries=[
                {"Id": str(n), "MessageBody": m.body()} for n, m in enumerate(chunk)])
        except (BotoCoreError, ClientError):
            refused += chunk
            continue
        refused += [chunk[int(f["Id"])] for f in answer.get("Failed") or []]
    return [m.id for m in refused if not _parked(m)]


NOT_QUEUED_WAIT_MS = 60_000  # the sweeper's period: the next sweep queues a refused message


def _parked(message: SendMessage) -> bool:
    from pynamodb.exceptions import PynamoDBException

    from shared import clock
    from shared.core.log import logger
    from shared.messaging import store as parked

    try:
        parked.park(message.client_id, message.id, message.attempt, message.body(),
                    clock.now_ms() + NOT_QUEUED_WAIT_MS, "not queued: SQS refused it")
    except PynamoDBException:  # DynamoDB refused too: the caller answers 503
        logger.warning("a message neither queued nor parked", extra={"communication_id": message.id})
        return False
    logger.warning("a message SQS refused is parked for the sweeper", extra={"communication_id": message.id})
    return True


def _delay(delay_s: float) -> int:
    return max(0, min(MAX_DELAY_S, math.ceil(delay_s)))


def later_all(waits: list[tuple[SendMessage, float]]) -> list[int]:
    """Queue each message to be received after its wait (at most 15 minutes), SendMessageBatch by 10. The
    positions of those SQS did not take (their originals must stay on the queue)."""
    refused: list[int] = []
    sqs = aws.client("sqs")
    for start in range(0, len(waits), BATCH):
        chunk = waits[start:start + BATCH]
        answer = sqs.send_message_batch(QueueUrl=settings.SEND_QUEUE_URL.get(), Entries=[
            {"Id": str(n), "MessageBody": m.body(), "DelaySeconds": _delay(wait)} for n, (m, wait) in enumerate(chunk)])
        refused += [start + int(f["Id"]) for f in answer.get("Failed") or []]
    return refused


def later(message: SendMessage, delay_s: float) -> None:
    """Queue `message` to be received after `delay_s` seconds (at most SQS's 15 minutes)."""
    aws.client("sqs").send_message(QueueUrl=settings.SEND_QUEUE_URL.get(), MessageBody=message.body(),
                                   DelaySeconds=_delay(delay_s))

