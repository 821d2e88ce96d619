-- wa-outbox schema, version 2: webhooks. Times are milliseconds since 1970 (UTC).

-- Webhook payloads exactly as they arrived, stored before the 200 is answered and processed
-- after, so a payload that was acknowledged is never lost. A payload that cannot be read is
-- kept with the reason.
CREATE TABLE inbox (
    id           INTEGER PRIMARY KEY,
    channel      TEXT,                 -- from the URL; NULL: route by metadata.phone_number_id
    source       TEXT    NOT NULL CHECK (source IN ('webhook', 'socket')),
    received_at  INTEGER NOT NULL,
    body         BLOB    NOT NULL,
    processed_at INTEGER,
    error        TEXT
);
CREATE INDEX inbox_pending ON inbox(id) WHERE processed_at IS NULL;

-- What the daemon knows of each recipient of a channel.
CREATE TABLE recipients (
    channel          TEXT    NOT NULL,
    recipient        TEXT    NOT NULL,
    last_inbound_at  INTEGER,          -- the customer's last message: opens the 24-hour window
    window_closed_at INTEGER,          -- a 131047/470 said the window is closed
    unreachable_at   INTEGER,          -- a 131026 said the number cannot receive
    PRIMARY KEY (channel, recipient)
) WITHOUT ROWID;

-- A status reported twice is applied once.
CREATE UNIQUE INDEX events_status_once ON events(message_id, status)
    WHERE status IN ('sent', 'delivered', 'read', 'played', 'failed');
