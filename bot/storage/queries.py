"""SQL that SQLite and PostgreSQL run unchanged (no parameters, no dialect), kept once."""

from __future__ import annotations

# the earliest moment a pending reminder may be sent; chats that blocked the bot are left
# out, as claim_due leaves them
SOONEST_DUE = (
    "SELECT MIN(r.not_before) FROM reminders r WHERE r.status = 'pending'"
    " AND NOT EXISTS (SELECT 1 FROM subscriptions s JOIN paused_chats p"
    "  ON p.channel = s.channel AND p.chat_id = s.chat_id"
    "  WHERE s.id = r.subscription_id)"
)
