"""The settings entity (entities.md §11): values tenants and users set through the API, in system,
client and user scopes, with the keys the product reads declared in `catalogue` (types, defaults,
scopes). Not to be confused with `shared.core.settings`, the environment a Lambda is deployed with."""
