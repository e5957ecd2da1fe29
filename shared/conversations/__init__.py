"""Conversations: a tenant's Twilio Conversations threads (entities.md §13), created at Twilio first."""
