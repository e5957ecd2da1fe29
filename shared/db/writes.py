"""Conditional writes: a condition that does not hold is the caller's answer, and nothing else is.

Only DynamoDB's ConditionalCheckFailed says "the item is not in the state you expected" (a used
token, a rotated refresh token, a replayed TOTP step): the caller turns that into its domain answer.
Throttling (ProvisionedThroughputExceeded, ThrottlingException, RequestLimitExceeded), transaction
conflicts and other service errors say nothing about the request: they are retried, bounded and with
backoff, and then answer 503 (`Unavailable`) — never a 4xx, never a business failure such as a wrong
code that would count towards a lockout.

Who retries what:
- a single write (PutItem, UpdateItem, DeleteItem) is retried by the SDK under PynamoDB (botocore's
  standard mode: 4 attempts, exponential backoff with jitter, for throttling and 5xx answers);
  retrying again here would multiply the wait past a Lambda's timeout, so `applied` does not;
- a cancelled transaction is not retried by the SDK (TransactionCanceledException is an ordinary
  400), so `shared.db.tx.Tx.commit` retries the cancellations in `RETRIED_REASONS` with `backoff`.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PynamoDBException

from shared.errors import Unavailable

if TYPE_CHECKING:
    from collections.abc import Callable

CONDITION_FAILED = "ConditionalCheckFailedException"
# Cancellation reasons that say nothing about the request: another writer or the capacity, for now.
RETRIED_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded",
                             "RequestLimitExceeded"})
TX_ATTEMPTS = 4
_BACKOFF_BASE_S = 0.05
_BACKOFF_CAP_S = 1.0


# What DynamoDB answers when it is busy or briefly failing, once the SDK's own retries are spent.
BUSY = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
                  "InternalServerError", "ServiceUnavailable", "TransactionInProgressException"})


def busy(err: PynamoDBException) -> bool:
    """A read or write DynamoDB did not take for reasons of its own (the request was fine)."""
    return err.cause_response_code in BUSY


def applied(write: Callable[[], Any]) -> bool:
    """Run one conditional write: True when it was written, False when its condition did not hold.

    DynamoDB busy or failing (throttling after the SDK's retries, a service error) raises Unavailable;
    a refusal for a reason of ours (AccessDenied, a malformed request) is re-raised: a defect, a 500."""
    try:
        write()
    except PynamoDBException as err:
        if err.cause_response_code == CONDITION_FAILED:
            return False
        if busy(err):
            raise unavailable(err) from err
        raise
    return True


def unavailable(err: PynamoDBException, reasons: list[str] | None = None) -> Unavailable:
    """The 503 for a write DynamoDB did not take; the cause goes to the log, not to the client."""
    from shared.core.log import logger

    logger.warning("write not taken by DynamoDB", extra={"code": err.cause_response_code,
                                                         "reasons": reasons or None,
                                                         "detail": err.cause_response_message})
    return Unavailable("the database is busy; try again shortly", headers={"retry-after": "1"})


def backoff(attempt: int) -> None:
    """Sleep before retry `attempt` (0-based): full jitter on an exponential step, capped."""
    time.sleep(random.random() * min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2 ** attempt))
