"""Reads of the reminder engine, one module per job: `planning` (what the planner run for a day
would write), `recheck` (what a message still holds when it is sent) and `outbox` (every read of
the outbox pages, the person page's reminders and the reminders_outbox command)."""
