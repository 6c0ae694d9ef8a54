"""Forms of the reminder engine, one module per area: outbox (the lead's outbox, messages and tomorrow's
batch) and preferences (the digest preferences a recipient reaches from a digest)."""
