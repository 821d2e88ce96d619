-- wa-outbox schema, version 8: the event log and the subscribers' cursors.
-- Times are milliseconds since 1970 (UTC).

-- Every change an application may want to react to, in commit order. `id` is the cursor of
-- `GET /v1/events` and of the subscribers: AUTOINCREMENT, so an id is never reused even after
-- retention deleted the newest rows, and with SQLite's single writer ids commit in order (a
-- reader that sees id N has seen every id below it). Each row is written in the transaction of
-- the change it reports. `events` (version 1) stays the message timeline; this is the feed.
CREATE TABLE event_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    channel    TEXT,
    message_id INTEGER,            -- no foreign key: the log keeps its own retention
    data       TEXT                -- JSON object with the type's own fields, or NULL
);

-- A subscriber's progress: the last event it acknowledged (persisted at most about once a
-- second and at shutdown, so a crash re-delivers at most that much: at least once).
CREATE TABLE subscriber_state (
    name          TEXT PRIMARY KEY,
    cursor        INTEGER NOT NULL DEFAULT 0,
    failing_since INTEGER,         -- set once it failed for longer than give_up_after
    last_error    TEXT,
    last_success  INTEGER
) WITHOUT ROWID;
