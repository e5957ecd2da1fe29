"""Fresh tenants for an integration module: made through the API as a super admin, with staff signed in."""

from __future__ import annotations

from shared.ids import new_id

PASSWORD = "correct-horse-battery"
ROLES = ("admin", "manager", "user")


def login(api, email: str, password: str = PASSWORD):
    return api.post("/auth/login", json={"email": email, "password": password})


def super_admin(api, local) -> str:
    """An access token of the seeded super admin."""
    creds = local.logins["super_admin"]
    return login(api, creds["email"], creds["password"]).json()["access_token"]


def client(api, sa: str, name: str, tier: str = "premium", **fields) -> str:
    r = api.post("/clients", token=sa, json={"name": f"{name} {new_id()}", "subscription_tier": tier, **fields})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def staff(api, sa: str, client_id: str, role: str, domain: str) -> str:
    """A new staff user of the tenant, signed in: their access token."""
    email = f"{role}-{new_id().lower()}@{domain}"
    r = api.post("/users", token=sa, json={"email": email, "role": role, "password": PASSWORD, "client_id": client_id})
    assert r.status_code == 201, r.text
    return login(api, email).json()["access_token"]


def two_tenants(api, sa: str, name: str, domain: str, *, tier: str = "premium", roles=ROLES, **own_fields) -> dict:
    """A tenant with a token per role in `roles`, and a second tenant with its admin: `{"id", "other", <role>...,
    "other_admin"}`."""
    own, other = client(api, sa, name, tier, **own_fields), client(api, sa, name, tier)
    return {"id": own, "other": other, **{role: staff(api, sa, own, role, domain) for role in roles},
            "other_admin": staff(api, sa, other, "admin", domain)}
