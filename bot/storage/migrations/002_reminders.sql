-- Renewal reminder subscriptions. `label` is a code chosen from buttons (self, spouse, child,
-- family), never free text, so no name can end up here; the event date is the only date.
CREATE TABLE subscriptions (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    label       TEXT NOT NULL,
    event_kind  TEXT NOT NULL CHECK (event_kind IN ('expiry', 'change')),
    event_date  TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    failures    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);

CREATE INDEX subscriptions_chat ON subscriptions (channel, chat_id);

-- One row per planned message. The sweeper claims due rows, sends, then marks them sent.
CREATE TABLE reminders (
    id               INTEGER PRIMARY KEY,
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    due_at           TEXT NOT NULL,
    stale_at         TEXT NOT NULL,
    not_before       TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'claimed', 'sent', 'skipped', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    claimed_at       TEXT,
    sent_at          TEXT
);

CREATE INDEX reminders_pending ON reminders (not_before) WHERE status = 'pending';
CREATE INDEX reminders_claimed ON reminders (claimed_at) WHERE status = 'claimed';
CREATE INDEX reminders_subscription ON reminders (subscription_id, due_at);
