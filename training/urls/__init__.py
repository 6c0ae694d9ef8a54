"""Urls of the training app, one module per area: compliance (the dashboard, the people
behind a count, exports) and records (completions, verification, registers, exemptions, a staff
member's own record)."""
