# The reminder outbox arrives with the reminder engine.
