"""The send pipeline: the send queue's messages and the sender that turns each into at most one provider call."""
