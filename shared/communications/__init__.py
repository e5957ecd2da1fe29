"""Communications: every message a tenant sends or receives, on any channel (entities.md §4)."""
