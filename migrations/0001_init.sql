-- wa-outbox schema, version 1. Append-only: never edit a released migration, add a new file.
-- Times are wall-clock milliseconds since 1970 (UTC).

-- Facts about this database: its instance id (part of biz_opaque_callback_data).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- The outbox: one row per accepted message, from submission to its final state.
CREATE TABLE messages (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: webhooks refer to it
    channel             TEXT    NOT NULL,
    recipient           TEXT    NOT NULL CHECK (recipient GLOB '+[1-9]*' AND length(recipient) BETWEEN 9 AND 16),
    type                TEXT    NOT NULL,
    payload             TEXT,                               -- the `message` object; NULL once retention erased it
    idempotency_key     TEXT,
    priority            INTEGER NOT NULL CHECK (priority IN (0, 1, 2)),  -- 0 high, 1 normal, 2 bulk
    state               TEXT    NOT NULL CHECK (state IN
                            ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'expired', 'cancelled')),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    due_at              INTEGER NOT NULL,  -- queued: earliest hand-over; sending+awaiting: settlement deadline
    expires_at          INTEGER,
    attempts            INTEGER NOT NULL DEFAULT 0,  -- attempts counted against max_attempts
    rate_limited        INTEGER NOT NULL DEFAULT 0,  -- attempts refused by a rate or pair limit
    awaiting_settlement INTEGER NOT NULL DEFAULT 0 CHECK (awaiting_settlement IN (0, 1)),
    wamid               TEXT,
    last_error          TEXT,
    import_id           TEXT,
    sent_at             INTEGER,
    CHECK (awaiting_settlement = 0 OR state = 'sending'),
    CHECK (wamid IS NOT NULL OR state NOT IN ('sent', 'delivered', 'read'))
);

CREATE UNIQUE INDEX messages_idempotency ON messages(channel, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- The dispatcher's queue: only queued rows, in the order they leave.
CREATE INDEX messages_due ON messages(channel, priority, due_at, id) WHERE state = 'queued';
CREATE INDEX messages_state ON messages(state, id);
CREATE INDEX messages_recipient ON messages(recipient, id);
CREATE INDEX messages_wamid ON messages(wamid) WHERE wamid IS NOT NULL;
CREATE INDEX messages_import ON messages(import_id, id) WHERE import_id IS NOT NULL;

-- The audit trail: one row per request handed to the API (or interrupted on its way).
CREATE TABLE attempts (
    id            INTEGER PRIMARY KEY,
    message_id    INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    channel       TEXT    NOT NULL,
    at            INTEGER NOT NULL,   -- when the request started
    outcome       TEXT    NOT NULL CHECK (outcome IN
                      ('accepted', 'permanent_error', 'retryable_error', 'rate_limited', 'channel_error', 'unknown_outcome')),
    http_status   INTEGER,
    error_code    INTEGER,
    error_title   TEXT,
    error_details TEXT,
    latency_ms    INTEGER
);
CREATE INDEX attempts_message ON attempts(message_id);
CREATE INDEX attempts_at ON attempts(at);

-- Everything else in a message's timeline: statuses the API reported, and the daemon's own
-- decisions that no attempt shows (expired, cancelled, settled, ...).
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    detail      TEXT
);
CREATE INDEX events_message ON events(message_id);

-- Per-channel state that must survive a restart.
CREATE TABLE channel_state (
    channel       TEXT PRIMARY KEY,
    paused_reason TEXT,
    paused_at     INTEGER,
    paused_until  INTEGER          -- NULL: until an operator resumes it
) WITHOUT ROWID;
