-- "Was this helpful?" answers: one per chat and topic (the latest wins), erased with the chat.
CREATE TABLE feedback (
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    topic       TEXT NOT NULL,
    helpful     INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id, topic)
) WITHOUT ROWID;

-- How often each topic was answered: counters only, nobody's identity.
CREATE TABLE topic_counts (
    topic  TEXT PRIMARY KEY,
    asked  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Questions the bot could not place, to improve the data and the examples. No chat id is
-- kept, and long digit runs and e-mail addresses are masked before they are stored.
CREATE TABLE unplaced_questions (
    id          INTEGER PRIMARY KEY,
    language    TEXT,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
