"""`echelonx seed`: a demo tenant with staff of every role, the platform's super_admin, and the demo
tenant's members (tiers, spend, engagement, activity dates, referrals, time zones, languages,
acquisition channels, tags), so the member analytics have something to say on `make run`.

Local development only: the passwords are fixed and printed so a newcomer can log in at once.
"""

from __future__ import annotations

import random
from decimal import Decimal

from shared import clock
from shared.clients import store as clients
from shared.ids import new_id
from shared.local.seed_benefits import seed_benefits
from shared.security.passwords import hash_password
from shared.users import store as users

SUPER_ADMIN = ("super@echelonx.local", "super-admin-password")
DEMO_TENANT = "Demo Fitness Co"
STAFF = [("admin", "admin@demo.echelonx.local"), ("manager", "manager@demo.echelonx.local"),
         ("user", "user@demo.echelonx.local")]
STAFF_PASSWORD = "demo-staff-password"
TWO_FACTOR = ("mfa@demo.echelonx.local", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")  # a known TOTP secret, local only


def seed(members: int | None = None) -> dict:
    """Create what is missing (idempotent); return the logins. `members`: how many demo members the
    tenant gets (DEMO_MEMBERS by default; the test suite's runtime asks for none, its tests make
    their own)."""
    logins: dict[str, dict[str, str] | str] = {"super_admin": {"email": SUPER_ADMIN[0], "password": SUPER_ADMIN[1]}}
    existing = users.find_by_email(SUPER_ADMIN[0])
    if existing is None:
        existing = users.create(_user(None, "super_admin", *SUPER_ADMIN, first="Sam", last="Super"))
    admin = users.find_by_email(STAFF[0][1])
    client_id = admin.client_id if admin else None
    if client_id is None:
        client = clients.create(clients.Client(
            id=new_id(), name=DEMO_TENANT, email="hello@demo.echelonx.local", status="active",
            subscription_tier="premium", industry="fitness", company_size="11-50", default_country="US",
            created_by=existing.id), actor=None)
        client_id = client.id
    for role, email in STAFF:
        if users.find_by_email(email) is None:
            users.create(_user(client_id, role, email, STAFF_PASSWORD, first=role.capitalize(), last="Demo"))
        logins[role] = {"email": email, "password": STAFF_PASSWORD}
    if users.find_by_email(TWO_FACTOR[0]) is None:
        _with_two_factor(users.create(_user(client_id, "manager", TWO_FACTOR[0], STAFF_PASSWORD, first="Mfa", last="Demo")))
    logins["two_factor"] = {"email": TWO_FACTOR[0], "password": STAFF_PASSWORD, "totp_secret": TWO_FACTOR[1]}
    logins["client_id"] = client_id
    seed_settings(client_id)
    _members(client_id, DEMO_MEMBERS if members is None else members)
    seed_benefits(client_id)  # grants go to the newest members
    return logins


DEMO_SETTINGS = {
    "general.time_zone": "America/New_York",
    "messaging.quiet_hours": {"sms": {"start": "21:00", "end": "08:00"}, "mms": {"start": "21:00", "end": "08:00"},
                              "voice": {"start": "20:00", "end": "09:00"}},
    "sms.default_sender": "+14155552671",
    "email.default_from": "hello@demo.echelonx.local",
    "messaging.send_rates": {"long_code": 1, "toll_free": 3, "short_code": 100, "email": 50},
    "messaging.tenant_send_rate": 20,
    "sms.help_text": "Demo Fitness: help at demo.echelonx.local/help or 415-555-2671. Msg&data rates may apply. "
                     "Reply STOP to opt out.",
}


def seed_settings(client_id: str) -> None:
    """The demo tenant's settings (client scope), where not set yet: what messaging will read."""
    from shared.settings import catalogue
    from shared.settings import store as settings

    pk = settings.partition(catalogue.CLIENT, client_id)
    present = settings.batch_get([(pk, key) for key in DEMO_SETTINGS])
    for key, value in DEMO_SETTINGS.items():
        if (pk, key) not in present:
            settings.put(catalogue.CLIENT, client_id, None, key, catalogue.validate(key, value), description=None,
                         actor=None, operation="setSetting")


DEMO_MEMBERS = 200  # written 20 to a transaction, as the import writes them
_DAY_MS = 86_400_000
# (first names, last names, locations with their time zone and language): people of several countries.
_FIRST = ("Ava", "Noah", "Zoë", "Mateo", "Amélie", "Liam", "Sofía", "Chen", "Aarav", "Fatima", "Jonas", "Ingrid",
          "Kwame", "Yuki", "Olivia", "Lucas", "Maëlle", "Omar", "Priya", "Ethan", "Björn", "Isabela", "Hana", "Diego")
_LAST = ("Smith", "García", "Müller", "Dubois", "Rossi", "Nguyen", "Kowalski", "Okafor", "Tanaka", "Silva",
         "Johansson", "Patel", "O'Brien", "Novák", "Haddad", "Kim", "Ångström", "Moreau", "Costa", "Brown")
_PLACES = (("New York, US", "America/New_York", "en-US"), ("Chicago, US", "America/Chicago", "en-US"),
           ("Los Angeles, US", "America/Los_Angeles", "en-US"), ("Toronto, CA", "America/Toronto", "en-CA"),
           ("London, GB", "Europe/London", "en-GB"), ("Paris, FR", "Europe/Paris", "fr-FR"),
           ("Berlin, DE", "Europe/Berlin", "de-DE"), ("Madrid, ES", "Europe/Madrid", "es-ES"),
           ("São Paulo, BR", "America/Sao_Paulo", "pt-BR"), ("Tokyo, JP", "Asia/Tokyo", "ja-JP"),
           ("Sydney, AU", "Australia/Sydney", "en-AU"), ("Mumbai, IN", "Asia/Kolkata", "en-IN"))
_CHANNELS = (("instagram", 30), ("google_ads", 22), ("referral", 15), ("organic", 14), ("facebook", 9),
             ("email", 6), ("tiktok", 4))
_TIERS = (("basic", 55), ("premium", 25), ("elite", 14), ("executive", 6))
_STATUSES = (("active", 78), ("inactive", 9), ("pending", 5), ("churned", 6), ("suspended", 2))
_TAGS = ("yoga", "spin", "weights", "early-bird", "family-plan", "student", "corporate", "vip", "newsletter")
_SPEND_SCALE = {"basic": 120, "premium": 450, "elite": 1400, "executive": 4200}  # typical spend per tier


def _members(client_id: str, count: int) -> None:
    """The demo tenant's members, once (the same people on every seed: a seeded random); created through
    the members store, so their claims, audit entries and counters are as the API would make them."""
    from shared.members import store

    if not count or store.find_by_claim(store.member_id_key(client_id, "DEMO-0001")) is not None:
        return
    rng, now = random.Random(12), clock.now_ms()
    made: list[str] = []
    batch: list = []
    pick = lambda pairs: rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]  # noqa: E731
    for n in range(1, count + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        place, zone, language = rng.choice(_PLACES)
        tier, channel = pick(_TIERS), pick(_CHANNELS)
        joined = now - int(rng.uniform(0, 540) * _DAY_MS)
        idle_days = min(rng.expovariate(1 / 12), (now - joined) / _DAY_MS)  # most came back lately, a few long ago
        spend = Decimal(str(round(rng.lognormvariate(0, 0.8) * _SPEND_SCALE[tier], 2))) if rng.random() < 0.9 else None
        member = store.Member(
            id=new_id(), client_id=client_id, member_id=f"DEMO-{n:04d}", first_name=first, last_name=last,
            full_name=f"{first} {last}", email=f"{_plain(first)}.{_plain(last)}.{n}@members.demo.echelonx.local",
            phone=f"+1202555{n % 100 + 100:04d}" if rng.random() < 0.7 else None, tier=tier, status=pick(_STATUSES),
            total_spend=spend, acquisition_channel=channel, acquisition_cost=Decimal(rng.choice((0, 5, 12, 25, 40))),
            engagement_score=round(max(0.0, min(100.0, 95 * 0.93 ** idle_days + rng.gauss(0, 8))), 1),
            last_active=now - int(idle_days * _DAY_MS), location=place, timezone=zone, language=language,
            tags=rng.sample(_TAGS, k=rng.choice((0, 1, 1, 2, 3))) or None, created_at=joined,
            referred_by=rng.choice(made) if made and channel == "referral" else None)
        batch.append(member)
        made.append(member.id)
        if len(batch) == _PER_TRANSACTION or n == count:
            _create_all(store, batch)
            batch = []


_PER_TRANSACTION = 20  # a member, its three claims and its audit entry: 5 items each, 100 at most


def _create_all(store, members: list) -> None:
    """Members created as createMember creates each one, 20 to a transaction (seconds, not a minute)."""
    from shared.db.tx import Tx

    tx = Tx()
    for member in members:
        store.members.add_create(tx, member, None, "seed")
    tx.commit()


def _plain(name: str) -> str:
    """A name as an email local part: letters only, accents dropped."""
    from shared.search import fold

    return "".join(c for c in fold(name) if c.isalnum())


def _with_two_factor(user: users.User) -> None:
    from shared.security import totp

    users.write(user, [users.User.two_factor_secret.set(totp.seal(user, TWO_FACTOR[1])),
                       users.User.two_factor_enabled.set(True)])


def _user(client_id, role, email, password, first, last) -> users.User:
    return users.User(id=new_id(), client_id=client_id, email=email, password_hash=hash_password(password),
                      role=role, status="active", first_name=first, last_name=last, full_name=f"{first} {last}",
                      email_verified=True, timezone="America/New_York", language="en", permissions=[])
