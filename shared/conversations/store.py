"""The conversations store: the only code that knows how a conversation is keyed.

A conversation is one Twilio Conversations thread of one tenant (`T#<client>#CONVERSATION#<id>`, SK
`CONVERSATION`). Its `conversation_sid` is unique platform-wide (one Twilio account serves every
tenant): a claim `P#CONVERSATION_SID#<sid>` names it and its tenant, so a callback that knows only
the sid finds both in one read. A tenant's optional `unique_name` (what makes a retried create safe)
is claimed per tenant. Each message counted holds a claim `T#c#CONVERSATION#<id>#MESSAGE#<sid>`
written in the same transaction as the counts, so a retried callback never counts twice; these claims
expire (TTL) after MESSAGE_CLAIM_DAYS, far past any provider's retries.

| access pattern                                        | index | key condition                                          |
|-------------------------------------------------------|-------|--------------------------------------------------------|
| conversation by id                                    | table | PK = `T#c#CONVERSATION#<id>`, SK = `CONVERSATION`      |
| conversation by sid (getConversationBySid, callbacks) | table | claim PK = `P#CONVERSATION_SID#<sid>`, then the conversation |
| conversation by the tenant's unique name              | table | claim PK = `T#c#CONVERSATION_NAME#<unique_name>`, then the conversation |
| a message already counted                             | table | claim PK = `T#c#CONVERSATION#<id>#MESSAGE#<message sid>` |
| conversations of a tenant, latest activity first      | GSI1  | GSI1PK = `T#c#CONVERSATIONS`, GSI1SK = `<last activity>#<id>` |
| conversations of one status, latest activity first    | GSI2  | GSI2PK = `T#c#CONVERSATIONS#STATUS#<status>`, GSI2SK as GSI1SK |

Last activity is `last_message_at`, or `created_at` before the first message: a counted message moves
the conversation to the front of both lists in the write that counts it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from shared import clock
from shared.db import claims
from shared.db.claims import Claim
from shared.db.table import platform_key, tenant_key
from shared.entity import Entity, EntityStore, Unique
from shared.errors import Duplicate, NotFound

if TYPE_CHECKING:
    from shared.db.tx import Tx

MESSAGE_CLAIM_DAYS = 30
_DAY_S = 24 * 60 * 60


def conversation_key(client_id: str, conversation_id: str) -> str:
    return tenant_key(client_id, "CONVERSATION", conversation_id)


def conversations_partition(client_id: str, *parts: str) -> str:
    """A list partition of the tenant's conversations: `T#c#CONVERSATIONS[#...]`."""
    return tenant_key(client_id, "CONVERSATIONS", *parts)


def sid_key(conversation_sid: str) -> str:
    return platform_key("CONVERSATION_SID", conversation_sid)


def name_key(client_id: str, unique_name: str) -> str:
    return tenant_key(client_id, "CONVERSATION_NAME", unique_name)


def message_key(client_id: str, conversation_id: str, message_sid: str) -> str:
    return tenant_key(client_id, "CONVERSATION", conversation_id, "MESSAGE", message_sid)


class Conversation(Entity, discriminator="CONVERSATION"):
    what, resource = "conversation", "conversations"
    unique = (Unique("conversation_sid", lambda value, c: sid_key(value)),
              Unique("unique_name", lambda value, c: name_key(c.client_id, value)))

    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    member_id = UnicodeAttribute(null=True)
    conversation_sid = UnicodeAttribute()
    unique_name = UnicodeAttribute(null=True)
    friendly_name = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    participant_count = NumberAttribute(default=0)
    message_count = NumberAttribute(default=0)
    last_message_at = NumberAttribute(null=True)

    @classmethod
    def key(cls, tenant: str | None, item_id: str) -> tuple[str, str]:
        return conversation_key(tenant or "", item_id), "CONVERSATION"

    def keys(self):
        active = f"{int(self.last_message_at or self.created_at or 0):015d}#{self.id}"
        return {"PK": conversation_key(self.client_id, self.id), "SK": "CONVERSATION",
                "GSI1PK": self.listing(conversations_partition(self.client_id)), "GSI1SK": active,
                "GSI2PK": self.listing(conversations_partition(self.client_id, "STATUS", self.status)),
                "GSI2SK": active}


conversations = EntityStore(Conversation)
create, get, update = conversations.create, conversations.get, conversations.update


def page(client_id: str, status: str | None, *, limit: int, cursor: str | None
         ) -> tuple[list[Conversation], dict | None]:
    """Latest activity first: one query of the tenant's list, or of its status's."""
    if status is None:
        return conversations.page(conversations_partition(client_id), index="GSI1", limit=limit, cursor=cursor)
    return conversations.page(conversations_partition(client_id, "STATUS", status), index="GSI2", limit=limit,
                              cursor=cursor)


def by_sid(conversation_sid: str) -> Conversation | None:
    """The conversation this Twilio sid names, in whichever tenant: two reads (claim, conversation)."""
    return _claimed(sid_key(conversation_sid))


def by_unique_name(client_id: str, unique_name: str) -> Conversation | None:
    """The tenant's conversation of this unique name: two reads."""
    return _claimed(name_key(client_id, unique_name))


def _claimed(key: str) -> Conversation | None:
    claim = claims.lookup(key)
    if claim is None or claim.client_id is None:
        return None
    try:
        return get(claim.client_id, claim.owner_pk.rsplit("#", 1)[-1])
    except NotFound:
        return None


def count_message(tx: Tx, item: Conversation, message_sid: str) -> None:
    """Add to `tx` the claim that `message_sid` has been counted for this conversation: the transaction
    fails with Duplicate(/body/message_sid) when it was counted before."""
    claim = Claim(PK=message_key(item.client_id, item.id, message_sid), owner_pk=item.PK, owner_sk=item.SK,
                  client_id=item.client_id, expires_at=int(clock.now_ms() / 1000) + MESSAGE_CLAIM_DAYS * _DAY_S)
    tx.put(claim, condition=Claim.PK.does_not_exist(),
           on_fail=Duplicate("this message is already counted", field="/body/message_sid"))


def counted(client_id: str, conversation_id: str, message_sid: str) -> bool:
    """Whether this message has been counted for the conversation already (one read)."""
    return claims.lookup(message_key(client_id, conversation_id, message_sid)) is not None
