"""What benefits and their grants add to the usage counters (getBenefitUsage) and the search index
(searchBenefits), kept by the table's stream consumer (`shared.db.projections`: exact, duplicate- and
order-safe).

- `T#c#COUNTER#BENEFIT#<id>`: the benefit's grants, and how many are active, used and expired as
  stored. A grant past its expiry reads as expired at once; it counts as expired here once the expiry
  sweep (`expireMemberBenefits`, every minute) has recorded it.
- `T#c#SEARCH#BENEFIT#<initial>`: the words of a live benefit's name and description.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared import search
from shared.benefits.store import benefit_grants_partition, benefits_partition
from shared.db import projections
from shared.db.table import tenant_key
from shared.entity import DELETED

if TYPE_CHECKING:
    from collections.abc import Iterator

# Words each field adds to the index: 40 at most, within search.MAX_WORDS.
SEARCH_FIELDS = (("name", 16), ("description", 24))


def usage_key(client_id: str, benefit_id: str) -> str:
    return tenant_key(client_id, "COUNTER", "BENEFIT", benefit_id)


def token_partition(client_id: str, initial: str) -> str:
    """The search partition of the benefit words starting with `initial` (one character) in a tenant."""
    return tenant_key(client_id, "SEARCH", "BENEFIT", initial)


def search_words(benefit: dict) -> list[str]:
    """The words a benefit is found by: its name's, then its description's."""
    return search.indexed_words(*((benefit.get(name), budget) for name, budget in SEARCH_FIELDS))


@projections.counter("MEMBER_BENEFIT", "benefit-usage")
def benefit_usage(grant: dict) -> projections.Contribution:
    """One grant of its benefit, and one of its stored status (active, used, expired)."""
    return {usage_key(grant["client_id"], grant["benefit_id"]): {"grants": 1, str(grant["status"]): 1}}


@projections.counted_items("MEMBER_BENEFIT")
def grants(client_id: str | None) -> Iterator[dict]:
    """Every grant of the tenant: the grants partition of each of its benefits, live and deleted."""
    if client_id is None:
        return
    for partition in (benefits_partition(client_id), benefits_partition(client_id, DELETED)):
        for benefit in projections.query_images(partition, index="GSI1"):
            yield from projections.query_images(benefit_grants_partition(client_id, benefit["id"]), index="GSI2")


@projections.search_index("BENEFIT", "benefit-search")
def benefit_search(benefit: dict) -> set[tuple[str, str]]:
    """A token for each indexed word of a live benefit."""
    if benefit.get("deleted_at"):
        return set()
    return search.tokens(lambda initial: token_partition(benefit["client_id"], initial), search_words(benefit),
                         benefit["id"])
