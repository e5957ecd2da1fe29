"""Creating and changing a conversation: at Twilio first, then recorded (createConversation,
updateConversation). Kept apart from `service` so only these two handlers load the Twilio adapter.

Create: the member (when named) must be one of the tenant's (404 naming /body/member_id); a
`unique_name` already recorded answers 409 before Twilio is called. Twilio's unique name is
`<tenant>.<unique_name or the new id>`, so a create whose answer was lost is found by that name
(`twilio_conversations.create_conversation`): retried with the same `unique_name`, it records the
conversation the first attempt made instead of making another. A Twilio failure records nothing and
answers 502 (503 with Retry-After when Twilio asked to wait); the conversation_sid is claimed with
the record, so no two records name one Twilio conversation.

Update: friendly_name and status are changed at Twilio, then recorded (Twilio first, so a failure
there leaves the record as it was; repeating the PATCH repeats the same sets). Status moves
active ⇄ inactive and from either to closed; closed is final, as at Twilio: any change of a closed
conversation is a 409.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.conversations import store
from shared.errors import Conflict, Duplicate, NotFound, PreconditionFailed, ValidationFailed
from shared.ids import new_id

if TYPE_CHECKING:
    from shared.core.actor import Scope

_NOT_NULL = ("friendly_name", "status")


def create_conversation(scope: Scope, body) -> dict:
    """createConversation: the rules of the module docstring."""
    from shared.providers import twilio_conversations

    tenant = scope.tenant_required()
    if body.member_id is not None:
        _require_member(scope, body.member_id)
    if body.unique_name is not None and store.by_unique_name(tenant, body.unique_name) is not None:
        raise Duplicate("unique_name is already taken", field="/body/unique_name")
    conversation_id = new_id()
    attributes = {"client_id": tenant, **({"member_id": body.member_id} if body.member_id else {})}
    made = twilio_conversations.create_conversation(f"{tenant}.{body.unique_name or conversation_id}",
                                                    friendly_name=body.friendly_name, attributes=attributes)
    item = store.Conversation(id=conversation_id, client_id=tenant, member_id=body.member_id,
                              conversation_sid=made.provider_id, unique_name=body.unique_name,
                              friendly_name=made.raw.get("friendly_name"), status=made.status,
                              participant_count=0, message_count=0)
    return store.create(item, scope.actor, "createConversation").public()


def update_conversation(scope: Scope, conversation_id: str, body, expected_version: int | None = None) -> dict:
    """updateConversation: the rules of the module docstring."""
    from shared.providers import twilio_conversations

    changes = body.model_dump(exclude_unset=True)
    for name in _NOT_NULL:
        if name in changes and changes[name] is None:
            raise ValidationFailed(f"{name} cannot be removed", field=f"/body/{name}")
    tenant = scope.tenant_required()
    current = store.get(tenant, conversation_id)
    if expected_version is not None and current.version != expected_version:
        raise PreconditionFailed(f"conversation is at version {current.version}, not {expected_version}",
                                 field="/headers/if-match")
    wanted = {name: value for name, value in changes.items() if getattr(current, name) != value}
    if not wanted:
        return current.public()

    def still_open(item: store.Conversation) -> None:
        if item.status == "closed":
            field = "/body/status" if "status" in wanted else "/body/friendly_name"
            raise Conflict("the conversation is closed, which is final", field=field)

    still_open(current)
    twilio_conversations.update_conversation(current.conversation_sid, friendly_name=wanted.get("friendly_name"),
                                             state=wanted.get("status"))
    return store.update(tenant, conversation_id, wanted, actor=scope.actor, operation="updateConversation",
                        expected_version=expected_version, check=still_open).public()


def _require_member(scope: Scope, member_id: str) -> None:
    from shared.members import service as members

    try:
        members.get_member(scope, member_id)
    except NotFound:
        raise NotFound("member not found", field="/body/member_id") from None
