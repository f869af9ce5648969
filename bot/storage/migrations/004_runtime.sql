-- Updates fetched from a platform and not handled yet. A row is written before the platform is
-- told the update arrived (the next getUpdates offset), and deleted in the same transaction
-- that handles the update, so a crash in between loses nothing.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    update_id   TEXT NOT NULL,
    payload     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (channel, update_id)
);

-- Replies to send, one platform message a row, written in the transaction that handled the
-- update. A row is deleted once the platform accepted it; until then a restart sends it.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    payload     TEXT NOT NULL,
    not_before  TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);

CREATE INDEX outbox_chat ON outbox (channel, chat_id, id);

-- Chats that blocked the bot: their reminders wait until the user writes again.
CREATE TABLE paused_chats (
    channel  TEXT NOT NULL,
    chat_id  TEXT NOT NULL,
    since    TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id)
) WITHOUT ROWID;

-- How many parts of a reminder (text, calendar file) were delivered, so a retry after a failed
-- part sends only what is missing.
ALTER TABLE reminders ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
