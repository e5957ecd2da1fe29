"""The rights table of entities.md, as a test.

EXPECTED is written by hand from entities.md ("Tenancy and roles" and the rights table), not from
the code's grant table. Every operation the decorators declare (public ones aside) must have a row:
a new operation without one fails here. Each row says who may do it and what it acts on; the route
comes from the decorator. Every operation × every role × {own tenant, a peer in it, another
tenant, a near-miss tenant id}: 404 across tenants, 403 where the role may never act, and no 2xx
the table does not allow. The matrix is printed.

A new domain adds rows here, and a subject factory for its entity in SUBJECTS.
"""

from __future__ import annotations

import re
import time

import pytest

from shared.ids import new_id
from shared.local.seed import STAFF_PASSWORD

ROLES = ("super_admin", "admin", "manager", "user")
TARGETS = ("own", "peer", "other", "near")
A, OWN, X = "allow", "own-only", "forbid"  # own-only: the caller's own record, nothing else

# operation: ((super_admin, admin, manager, user), subject the path's {id} names, query, body).
# From entities.md: users — admin R W (not super_admins), manager R, user R own + W own profile;
# audit/activity — admin R tenant, manager R tenant, user R own; super_admin everything everywhere.
# Subjects: "user" (the caller itself, a peer, another tenant's user), "victim" (a fresh user to
# change or delete), "client" (the tenant itself), "spare" (a fresh client a super_admin may close).
EXPECTED = {
    "getUsers":              ((A, A, A, X), None, {}, None),
    "getUserById":           ((A, A, A, OWN), "user", {}, None),
    "getUserByEmail":        ((A, A, A, X), None, {"email": "{email}"}, None),
    "createUser":            ((A, A, X, X), None, {}, {"email": "c-{run}@rights.test", "role": "user"}),
    "updateUser":            ((A, A, OWN, OWN), "victim", {}, {"language": "it"}),
    "deleteUser":            ((A, A, X, X), "victim", {}, None),
    "getUserStats":          ((A, A, A, X), None, {}, None),
    "getUsersByRole":        ((A, A, A, X), None, {}, None),
    "searchUsers":           ((A, A, A, X), None, {"q": "rights"}, None),
    "bulkUpdateUsers":       ((A, A, X, X), "victim", {}, {"updates": [{"id": "{id}", "changes": {"language": "it"}}]}),
    "getUserActivity":       ((A, A, A, OWN), "user", {}, None),
    "getUserPermissions":    ((A, A, A, OWN), "user", {}, None),
    "enableTwoFactor":       ((OWN, OWN, OWN, OWN), "user", {}, None),
    "confirmTwoFactor":      ((OWN, OWN, OWN, OWN), "user", {}, {"code": "000000"}),
    # clients (own tenant): admin R + W profile fields, manager R, user R; tier, status, contract,
    # creation, deletion and the cross-tenant views are super_admin's; exports: admin A only;
    # revenue and usage are billing reads (manager R, user –).
    "getClients":            ((A, A, A, A), None, {}, None),
    "getClientById":         ((A, A, A, A), "client", {}, None),
    "createClient":          ((A, X, X, X), None, {}, {"name": "Matrix {run}", "subscription_tier": "basic"}),
    "updateClient":          ((A, A, X, X), "client", {}, {"notes": "checked by the rights matrix"}),
    "deleteClient":          ((A, X, X, X), "spare", {}, None),
    "getClientStats":        ((A, X, X, X), None, {}, None),
    "getClientsByTier":      ((A, X, X, X), None, {}, None),
    "searchClients":         ((A, X, X, X), None, {"q": "other"}, None),
    "getClientRevenue":      ((A, A, A, X), "client", {}, None),
    "bulkUpdateClients":     ((A, A, X, X), "client", {}, {"updates": [{"id": "{id}", "changes": {"notes": "bulk"}}]}),
    "getClientActivity":     ((A, A, A, A), "client", {}, None),
    "getExpiringContracts":  ((A, X, X, X), None, {}, None),
    "upgradeClientTier":     ((A, X, X, X), "spare", {}, {"tier": "premium"}),
    "getClientUsage":        ((A, A, A, X), "client", {}, None),
    "exportClientData":      ((A, A, X, X), "client", {}, None),
    "getExportJob":          ((A, A, X, X), "client", {}, None),
    # members, benefits, member_benefits: admin and manager R W A, user R (and trackMemberActivity).
    # Subjects: "member" (a fresh member of the target tenant).
    "createMember":          ((A, A, A, X), None, {}, {"member_id": "m-{run}"}),
    "getMemberById":         ((A, A, A, A), "member", {}, None),
    # settings: admin R W client scope, R system scope; manager R client scope; user R W own user scope;
    # system-scope writes super_admin only. The user-scope rows act on the subject's own scope.
    "getSettings":           ((A, A, A, OWN), "user", {"type": "user", "user_id": "{id}"}, None),
    "getSettingByKey":       ((A, A, A, OWN), "user", {"key": "general.time_zone", "type": "user", "user_id": "{id}"}, None),
    "setSetting":            ((A, A, OWN, OWN), "user", {}, {"key": "general.time_zone", "value": "Europe/Rome",
                                                              "type": "user", "user_id": "{id}"}),
    "deleteSetting":         ((A, A, OWN, OWN), "user_setting", {"key": "general.time_zone", "type": "user",
                                                                "user_id": "{id}"}, None),
    "getSystemSettings":     ((A, A, X, X), None, {}, None),
    "getClientSettings":     ((A, A, A, X), None, {}, None),
    "getUserSettings":       ((A, A, A, OWN), "user", {"user_id": "{id}"}, None),
    "getSettingsByCategory": ((A, A, A, OWN), "user", {"type": "user", "user_id": "{id}"}, None),
    "bulkUpdateSettings":    ((A, A, OWN, OWN), "user", {}, {"updates": [{"key": "general.time_zone", "value": "Asia/Tokyo",
                                                                          "type": "user", "user_id": "{id}"}]}),
    "resetSettingsToDefault": ((A, A, OWN, OWN), "user", {}, {"type": "user", "user_id": "{id}"}),
    "exportSettings":        ((A, A, X, X), None, {}, None),
    # h-members: the member core (a "member" subject's member_id is r-<id>, its email r-<id>@rights.test).
    "getMembers":            ((A, A, A, A), None, {}, None),
    "getMemberByMemberId":   ((A, A, A, A), "member", {"member_id": "r-{id}"}, None),
    "getMemberByEmail":      ((A, A, A, A), "member", {"email": "r-{id}@rights.test"}, None),
    "getMembersByTier":      ((A, A, A, A), None, {}, None),
    "searchMembers":         ((A, A, A, A), None, {"q": "rights"}, None),
    "updateMember":          ((A, A, A, X), "member", {}, {"notes": "checked by the rights matrix"}),
    "deleteMember":          ((A, A, A, X), "member", {}, None),
    "bulkUpdateMembers":     ((A, A, A, X), "member", {}, {"updates": [{"id": "{id}", "changes": {"notes": "bulk"}}]}),
    # benefits and member_benefits: admin and manager R W A, user R. Subjects: "benefit" (a fresh
    # active benefit), "inactive_benefit", "grantee" (a fresh member, and a benefit it may be granted:
    # {benefit_id}), "holder" (a fresh member holding an unused grant of {benefit_id}).
    "getBenefits":           ((A, A, A, A), None, {}, None),
    "getBenefitById":        ((A, A, A, A), "benefit", {}, None),
    "createBenefit":         ((A, A, A, X), None, {}, {"name": "Matrix perk {run}", "type": "reward"}),
    "updateBenefit":         ((A, A, A, X), "benefit", {}, {"description": "checked by the rights matrix"}),
    "deleteBenefit":         ((A, A, A, X), "benefit", {}, None),
    "getMemberBenefits":     ((A, A, A, A), "holder", {}, None),
    "grantBenefitToMember":  ((A, A, A, X), "grantee", {}, {"benefit_id": "{benefit_id}"}),
    "useMemberBenefit":      ((A, A, A, X), "holder", {}, None),
    "getBenefitsByTier":     ((A, A, A, A), None, {}, None),
    "searchBenefits":        ((A, A, A, A), None, {"q": "matrix"}, None),
    "bulkUpdateBenefits":    ((A, A, A, X), "benefit", {}, {"updates": [{"id": "{id}", "changes": {"value": 5}}]}),
    "getBenefitUsage":       ((A, A, A, A), "benefit", {}, None),
    "activateBenefit":       ((A, A, A, X), "inactive_benefit", {}, None),
    "deactivateBenefit":     ((A, A, A, X), "benefit", {}, None),
    # member insights: reads for everyone in the tenant, trackMemberActivity too (members:track);
    # recomputing, recording spend and moving the tier are writes and actions (a fresh basic member
    # moves up, which a manager may do).
    "updateMemberEngagement":   ((A, A, A, X), "member", {}, None),
    "updateMemberSpend":        ((A, A, A, X), "member", {}, {"amount": 12.5, "reference": "r-{run}"}),
    "getMemberLifetimeValue":   ((A, A, A, A), "member", {}, None),
    "calculateChurnRisk":       ((A, A, A, A), "member", {}, None),
    "getMemberRecommendations": ((A, A, A, A), "member", {}, None),
    "trackMemberActivity":      ((A, A, A, A), "member", {}, {"type": "login"}),
    "getMemberReferrals":       ((A, A, A, A), "member", {}, None),
    "upgradeMemberTier":        ((A, A, A, X), "member", {}, {"tier": "premium", "reason": "the rights matrix"}),
    # member counters (h-privacy): read by every role of the tenant.
    "getMemberStats":        ((A, A, A, A), None, {}, None),
    "getMemberSegments":     ((A, A, A, A), None, {}, None),
    # privacy requests (h-privacy): admin only.
    "eraseMember":           ((A, A, X, X), "member", {}, None),
    "exportMember":          ((A, A, X, X), "member", {}, None),
    # member imports: members:act (admin and manager); "member_import" is a fresh job of the target tenant.
    "importMembers":         ((A, A, A, X), None, {}, None),
    "getMemberImport":       ((A, A, A, X), "member_import", {}, None),
    # conversations (h-convs): admin and manager R W A, user R. "conversation" is a fresh conversation of
    # the target tenant, made at the Twilio fake ({conversation_sid}).
    "getConversations":      ((A, A, A, A), None, {}, None),
    "getConversationBySid":  ((A, A, A, A), "conversation", {"conversation_sid": "{conversation_sid}"}, None),
    "createConversation":    ((A, A, A, X), None, {}, {"friendly_name": "Matrix {run}"}),
    "updateConversation":    ((A, A, A, X), "conversation", {}, {"friendly_name": "checked by the rights matrix"}),
    "updateConversationMessageCount": ((A, A, A, X), "conversation", {}, {"message_sid": "IM" + "0" * 32}),
    # h-send: communications — admin and manager R W A, user R and logSMS/logEmail/logMMS. "communication"
    # is a fresh logged sms of the target tenant (sent: a status may move on from it).
    "createCommunication":   ((A, A, A, X), None, {}, {"channel": "sms", "to_number": "+14155550100",
                                                        "from_number": "+15005550006", "content": "rights {run}"}),
    "bulkCreateCommunications": ((A, A, A, X), None, {}, {"communications": [{
        "channel": "sms", "to_number": "+14155550100", "from_number": "+15005550006", "content": "rights {run}"}]}),
    "getCommunicationById":  ((A, A, A, A), "communication", {}, None),
    "getCommunications":     ((A, A, A, A), None, {}, None),
    "getCommunicationsByMember": ((A, A, A, A), "member", {}, None),
    "logSMS":                ((A, A, A, A), None, {}, {"to_number": "+14155550100", "content": "logged {run}"}),
    "logMMS":                ((A, A, A, A), None, {}, {"to_number": "+14155550100", "content": "logged {run}",
                                                        "media_urls": ["https://example.com/m.png"]}),
    "logEmail":              ((A, A, A, A), None, {}, {"to_email": "r-{run}@rights.test", "content": "logged"}),
    "updateCommunicationStatus": ((A, A, A, X), "communication", {}, {"status": "delivered"}),
    # h-reports: the reports and lists are reads (every role of the tenant); retrying is an action (admin,
    # manager); an export is the exports row's (admin only).
    "getCommunicationStats": ((A, A, A, A), None, {}, None),
    "getDeliveryRates":      ((A, A, A, A), None, {"start_date": "2026-01-01", "end_date": "2026-01-31"}, None),
    "getCommunicationCosts": ((A, A, A, A), None, {"channel": "sms"}, None),
    "getEngagementMetrics":  ((A, A, A, A), None, {}, None),
    "getResponseRates":      ((A, A, A, A), None, {}, None),
    "getCommunicationsByChannel": ((A, A, A, A), None, {}, None),
    "getCommunicationTimeline": ((A, A, A, A), "communication", {"communication_id": "{id}"}, None),
    "retryFailedCommunications": ((A, A, A, X), None, {}, {"channel": "sms", "limit": 1}),
    "exportCommunications":  ((A, A, X, X), None, {}, None),
    # outbound webhooks (h-outbound): webhooks config and log, admin R W A, manager R, user none.
    # "webhook_endpoint" is a fresh endpoint of the target tenant; the URL is a public address literal
    # (no DNS lookup), and no endpoint subscribes to rights.checked (nothing is sent).
    "createWebhookEndpoint": ((A, A, X, X), None, {}, {"url": "https://93.184.215.14/rights",
                                                       "event_types": ["member.created"]}),
    "getWebhookEndpoints":   ((A, A, A, X), None, {}, None),
    "updateWebhookEndpoint": ((A, A, X, X), "webhook_endpoint", {}, {"description": "checked by the rights matrix"}),
    "deleteWebhookEndpoint": ((A, A, X, X), "webhook_endpoint", {}, None),
    "triggerWebhook":        ((A, A, X, X), None, {}, {"event_type": "rights.checked", "payload": {"run": "{run}"}}),
    # §12 webhooks (h-callbacks): read by admin and manager, written and retried by admin. "webhook" is a fresh
    # received event of the target tenant, failed. getOptOutRequests and getSpamReports are communications
    # reads (every role of the tenant).
    "getWebhooks":           ((A, A, A, X), None, {}, None),
    "getWebhooksByEvent":    ((A, A, A, X), None, {"event_type": "spamreport"}, None),
    "getFailedWebhooks":     ((A, A, A, X), None, {}, None),
    "getWebhookStats":       ((A, A, A, X), None, {}, None),
    "logWebhookEvent":       ((A, A, X, X), None, {}, {"provider": "nmi", "event_type": "transaction.settled",
                                                       "event_id": "rights-{run}"}),
    "updateWebhookStatus":   ((A, A, X, X), "webhook", {}, {"status": "processed"}),
    "bulkUpdateWebhooks":    ((A, A, X, X), "webhook", {}, {"updates": [{"id": "{id}", "changes": {"status": "processed"}}]}),
    "retryFailedWebhooks":   ((A, A, X, X), None, {}, {"provider": "sendgrid", "limit": 1}),
    "getOptOutRequests":     ((A, A, A, A), None, {}, None),
    "getSpamReports":        ((A, A, A, A), None, {}, None),
}
# Operations that name no tenant: what they show is the caller's own scope whatever the target.
TENANTLESS = {"getClients", "createClient", "getClientStats", "getClientsByTier", "searchClients",
              "getExpiringContracts", "getSystemSettings"}
# The super_admin's own record is not in tenant A, which it names: acting on "own" finds nothing.
SUPER_OWN_NOT_IN_TENANT = {"getUserById", "getUserActivity", "getUserPermissions", "updateUser", "getUserByEmail",
                           "bulkUpdateUsers", "enableTwoFactor", "confirmTwoFactor", "getSettings", "getSettingByKey",
                           "setSetting", "deleteSetting", "getUserSettings", "getSettingsByCategory",
                           "bulkUpdateSettings", "resetSettingsToDefault"}


def near_miss(client_id: str) -> str:
    return client_id[:-1] + ("A" if client_id[-1] != "A" else "B")


def _operations() -> dict:
    from shared.local.functions import discover

    return {f.spec.name: f.spec for f in discover() if f.spec.kind == "api" and f.spec.permission is not None}


def test_every_operation_has_a_row():
    """A new operation without a row in the hand-written table fails here, not silently."""
    declared = _operations()
    assert sorted(set(declared) - set(EXPECTED)) == [], "operations with no row in EXPECTED"
    assert sorted(set(EXPECTED) - set(declared)) == [], "rows for operations that do not exist"


@pytest.fixture(scope="module")
def world(api, local):
    """Tenant A (the seeded demo) and tenant B, each with staff of every role."""
    from shared.clients import store as clients
    from shared.local.seed import _user
    from shared.users import store as users

    a = local.logins["client_id"]
    b = clients.create(clients.Client(id=new_id(), name=f"Other Co {new_id()}", status="active",
                                      subscription_tier="basic", created_by="test")).id
    staff = {}
    for tenant in (a, b):
        for role in ("admin", "manager", "user"):
            u = users.create(_user(tenant, role, f"{role}-{new_id().lower()}@rights.test", STAFF_PASSWORD, "R", role))
            staff[(tenant, role)] = u
    logins = {"super_admin": (local.logins["super_admin"]["email"], local.logins["super_admin"]["password"]),
              **{role: (staff[(a, role)].email, STAFF_PASSWORD) for role in ("admin", "manager", "user")}}
    tokens = _logged_in(api, logins)
    jobs = {}
    for tenant in (a, b):
        r = api.post(f"/clients/{tenant}/export", token=tokens["super_admin"]["access_token"])
        assert r.status_code == 202, r.text
        jobs[tenant] = r.json()["job_id"]
    return {"a": a, "b": b, "staff": staff, "tokens": tokens, "jobs": jobs, "logins": logins,
            "logged_in_at": time.monotonic()}


def _logged_in(api, logins: dict) -> dict:
    return {role: api.post("/auth/login", json={"email": email, "password": password}).json()
            for role, (email, password) in logins.items()}


TOKEN_REFRESH_S = 300  # well inside the access tokens' life: a loaded machine runs the matrix for 15 minutes


def _fresh(api, world) -> None:
    """Sign in again once the tokens are a few minutes old (they would expire mid-matrix on a slow run)."""
    if time.monotonic() - world["logged_in_at"] > TOKEN_REFRESH_S:
        world["tokens"], world["logged_in_at"] = _logged_in(api, world["logins"]), time.monotonic()


def _victim(tenant: str) -> str:
    from shared.users import store as users

    return users.create(users.User(id=new_id(), client_id=tenant, email=f"v-{new_id().lower()}@rights.test",
                                   role="user", status="active")).id


def _spare_client() -> str:
    from shared.clients import store as clients

    return clients.create(clients.Client(id=new_id(), name=f"Spare {new_id()}", status="active",
                                         subscription_tier="basic", created_by="test")).id


def _tenant(world, target: str) -> str:
    return {"own": world["a"], "peer": world["a"], "other": world["b"], "near": near_miss(world["a"])}[target]


def _user_subject(world, role: str, target: str) -> str:
    """The caller itself, a peer in its tenant, another tenant's user, or (near) a user of A."""
    a, b = world["a"], world["b"]
    if target == "own":
        return world["tokens"][role]["user"]["id"]
    if target == "peer":
        return world["staff"][(a, "user" if role != "user" else "manager")].id
    return world["staff"][(b if target == "other" else a, "user")].id


def _victim_subject(world, role: str, target: str, op: str) -> str:
    if target == "own":  # deleting yourself is a conflict: an admin's "own" is a fresh user of its tenant
        return _victim(world["a"]) if op == "deleteUser" else world["tokens"][role]["user"]["id"]
    if target == "near":
        return world["staff"][(world["a"], "user")].id
    return _victim(_tenant(world, target))


def _spare_subject(world, role: str, target: str, op: str) -> str:
    # Never close or re-tier the tenants the matrix runs in.
    return _spare_client() if role == "super_admin" and target != "near" else _tenant(world, target)


def _member_subject(world, role: str, target: str, op: str) -> str:
    """A fresh member of the target tenant (near: of tenant A, which the near-miss id is not)."""
    from shared.members import store as members

    tenant = world["a"] if target == "near" else _tenant(world, target)
    member_id = new_id()
    return members.create(members.Member(id=member_id, client_id=tenant, member_id=f"r-{member_id}", tier="basic",
                                         email=f"r-{member_id.lower()}@rights.test", status="active")).id


def _user_setting_subject(world, role: str, target: str, op: str) -> str:
    """A user (as "user") whose own scope holds a setting to remove."""
    from shared.settings import store as settings

    uid = _user_subject(world, role, target)
    tenant = world["b"] if target == "other" else world["a"]
    settings.put("user", tenant, uid, "general.time_zone", "Europe/Paris", description=None, actor=None,
                 operation="setSetting")
    return uid


def _benefit_subject(world, role: str, target: str, op: str, status: str = "active") -> str:
    """A fresh benefit of the target tenant (near: of tenant A)."""
    from shared.benefits import store as benefits

    tenant = world["a"] if target == "near" else _tenant(world, target)
    return benefits.create(benefits.Benefit(id=new_id(), client_id=tenant, name=f"Matrix perk {new_id()}",
                                            type="reward", status=status, redemptions=0)).id


def _grantee_subject(world, role: str, target: str, op: str, granted: bool = False) -> str:
    """A fresh member and a benefit of its tenant ({benefit_id}), granted to it when `granted`."""
    from shared import clock
    from shared.benefits import store as benefits

    member_id = _member_subject(world, role, target, op)
    tenant = world["a"] if target == "near" else _tenant(world, target)
    benefit_id = _benefit_subject(world, role, target, op)
    if granted:
        benefits.grant(benefits.MemberBenefit(id=new_id(), client_id=tenant, member_id=member_id, benefit_id=benefit_id,
                                              status="active", granted_at=clock.now_ms()), None, None)
    world.setdefault("benefit_of", {})[member_id] = benefit_id
    return member_id


def _member_import_subject(world, role: str, target: str, op: str) -> str:
    """A fresh import job of the target tenant (near: of tenant A)."""
    from shared.members import imports

    return imports.create_job(None, world["a"] if target == "near" else _tenant(world, target)).id


def _conversation_subject(world, role: str, target: str, op: str) -> str:
    """A fresh conversation of the target tenant (near: of tenant A), made at the Twilio fake first."""
    from shared.conversations import store as conversations
    from shared.providers import twilio_conversations

    tenant = world["a"] if target == "near" else _tenant(world, target)
    conversation_id = new_id()
    sid = twilio_conversations.create_conversation(f"{tenant}.{conversation_id}").provider_id
    conversations.create(conversations.Conversation(id=conversation_id, client_id=tenant, conversation_sid=sid,
                                                    status="active", participant_count=0, message_count=0))
    world.setdefault("sid_of", {})[conversation_id] = sid
    return conversation_id


def _communication_subject(world, role: str, target: str, op: str) -> str:
    """A fresh sent sms of the target tenant (near: of tenant A)."""
    from shared.communications import store as communications

    tenant = world["a"] if target == "near" else _tenant(world, target)
    return communications.comms.create(communications.Communication(
        id=new_id(), client_id=tenant, channel="sms", direction="outbound", to_number="+14155550100",
        content="matrix", status="sent", provider="other")).id


def _webhook_endpoint_subject(world, role: str, target: str, op: str) -> str:
    """A fresh webhook endpoint of the target tenant (near: of tenant A)."""
    from shared.webhooks import endpoint_store, endpoints

    tenant = world["a"] if target == "near" else _tenant(world, target)
    endpoint = endpoint_store.WebhookEndpoint(id=new_id(), client_id=tenant, url="https://93.184.215.14/rights",
                                              event_types=["member.created"], enabled=True)
    endpoint.signing_secret = endpoints.seal(endpoint, endpoints.new_secret())
    return endpoint_store.create(endpoint).id


def _webhook_subject(world, role: str, target: str, op: str) -> str:
    """A fresh received event of the target tenant (near: of tenant A), failed."""
    from shared.webhooks import store

    tenant = world["a"] if target == "near" else _tenant(world, target)
    event, _ = store.receive(tenant, "nmi", "transaction.settled", f"rights-{new_id()}", "{}")
    store.settle(event, store.FAILED, "checked by the rights matrix")
    return event.id


SUBJECTS = {
    "webhook": _webhook_subject,
    "communication": _communication_subject,
    "webhook_endpoint": _webhook_endpoint_subject,
    "benefit": _benefit_subject,
    "conversation": _conversation_subject,
    "inactive_benefit": lambda world, role, target, op: _benefit_subject(world, role, target, op, "inactive"),
    "grantee": _grantee_subject,
    "holder": lambda world, role, target, op: _grantee_subject(world, role, target, op, granted=True),
    "member": _member_subject,
    "member_import": _member_import_subject,
    "user": lambda world, role, target, op: _user_subject(world, role, target),
    "user_setting": _user_setting_subject,
    "victim": _victim_subject,
    "client": lambda world, role, target, op: _tenant(world, target),
    "spare": _spare_subject,
}


def _email_of(world, uid: str) -> str:
    for u in world["staff"].values():
        if u.id == uid:
            return u.email
    return world["tokens"]["super_admin"]["user"]["email"]


def _fill(value, names: dict):
    if isinstance(value, str):
        return re.sub(r"{(\w+)}", lambda m: names[m.group(1)], value)
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


def _request(spec, op: str, role: str, target: str, world) -> tuple[str, str, dict, dict | None]:
    _, subject, query, body = EXPECTED[op]
    tenant = _tenant(world, target)
    subject_id = SUBJECTS[subject](world, role, target, op) if subject else _user_subject(world, role, target)
    names = {"id": subject_id, "run": new_id().lower(), "role": "user", "tier": "basic", "channel": "sms",
             "email": _email_of(world, _user_subject(world, role, target)), "category": "general",
             "job_id": world["jobs"].get(tenant, "01JDEM00000000000000000000"),  # well-formed, names no job
             "benefit_id": world.get("benefit_of", {}).get(subject_id, "01JDEM00000000000000000000"),
             "conversation_sid": world.get("sid_of", {}).get(subject_id, "CH" + "0" * 32)}
    path = _fill(spec.route, names)
    params = _fill(query, names)
    if spec.tenant in ("query", "required"):
        params["client_id"] = tenant
    return spec.method, path, params, _fill(body, names)


def _expected(rule: str, role: str, target: str, op: str) -> set[int]:
    ok = {200, 201, 202, 204}
    if rule == X:
        return {403}
    if op in TENANTLESS:
        return ok
    if target == "near":
        return {404}
    if target == "other":
        if rule == OWN and role == "super_admin":
            return {403, 404}  # another's two-factor: a super_admin reads them, but may not set them up
        return ok if role == "super_admin" else {404}
    if rule == OWN and target == "peer":
        return {403, 404}  # not theirs: 403 where the caller may read the record, else 404
    if role == "super_admin" and target == "own" and op in SUPER_OWN_NOT_IN_TENANT:
        return {404}
    return ok | ({409, 400} if op == "confirmTwoFactor" else set())  # no pending secret / a wrong code


def test_rights_matrix(api, world, capsys):
    operations = _operations()
    rows, failures = [], []
    for op, (rules, *_) in EXPECTED.items():
        _fresh(api, world)
        row = [op]
        for role, rule in zip(ROLES, rules, strict=True):
            for target in TARGETS:
                method, path, params, body = _request(operations[op], op, role, target, world)
                r = getattr(api, method.lower())(path, token=world["tokens"][role]["access_token"],
                                                 params=params, json=body)
                status = r.status_code
                if op.startswith("bulkUpdate") and status == 200:
                    status = r.json()["results"][0]["status"]  # the item's own outcome
                row.append(str(status))
                if status not in _expected(rule, role, target, op):
                    failures.append(f"{op} as {role} on {target}: {status} {r.text[:200]}")
        rows.append(row)
    header = ["operation"] + [f"{r[:5]}:{t}" for r in ROLES for t in TARGETS]
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    with capsys.disabled():
        print()
        for line in [header, *rows]:
            print("  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)))
    assert not failures, "\n".join(failures)
