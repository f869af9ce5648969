"""Renewal reminders: the schedule (pure), the store contract, the dispatcher loop."""
