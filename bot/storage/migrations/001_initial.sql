-- Chats: the language and where the conversation is. No names, no card or passport numbers.
CREATE TABLE chats (
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    language    TEXT,
    state       TEXT NOT NULL DEFAULT 'main',
    data        TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id)
) WITHOUT ROWID;

-- Updates already handled, so a replayed update after a crash changes nothing.
CREATE TABLE processed_updates (
    channel    TEXT NOT NULL,
    update_id  TEXT NOT NULL,
    seen_at    TEXT NOT NULL,
    PRIMARY KEY (channel, update_id)
) WITHOUT ROWID;

CREATE INDEX processed_updates_seen_at ON processed_updates (seen_at);
