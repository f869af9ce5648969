-- PostgreSQL twin of migrations/001_initial.sql (same version numbers on both engines).
-- Chats: the language and where the conversation is. No names, no card or passport numbers.
CREATE TABLE chats (
    channel     text NOT NULL,
    chat_id     text NOT NULL,
    language    text,
    state       text NOT NULL DEFAULT 'main',
    data        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (channel, chat_id)
);

-- Updates already handled, so a replayed update after a crash changes nothing.
CREATE TABLE processed_updates (
    channel    text NOT NULL,
    update_id  text NOT NULL,
    seen_at    timestamptz NOT NULL,
    PRIMARY KEY (channel, update_id)
);

CREATE INDEX processed_updates_seen_at ON processed_updates (seen_at);
