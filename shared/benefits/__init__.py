"""Benefits: a tenant's tier perks (entities.md §8) and their grants to members (§9)."""
