-- wa-outbox schema, version 9: the template catalog and held messages.
-- Times are milliseconds since 1970 (UTC).

-- Each channel's templates as 360dialog last listed them (GET /v1/configs/templates), one row
-- per (name, language). A sync replaces a channel's rows in one transaction; `spec` is what
-- each component needs at send time (OutboxCore.TemplateSpec as JSON).
CREATE TABLE templates (
    channel    TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    language   TEXT    NOT NULL,
    category   TEXT    NOT NULL,   -- marketing, utility, authentication (lowercase)
    status     TEXT    NOT NULL,   -- APPROVED, PAUSED, DISABLED, REJECTED, ... (uppercase)
    quality    TEXT,               -- GREEN, YELLOW, RED, UNKNOWN
    spec       TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (channel, name, language)
) WITHOUT ROWID;

-- The last sync of each channel's catalog. A channel without a row (or without `synced_at`)
-- has no catalog: nothing is refused for a template reason.
CREATE TABLE template_sync (
    channel    TEXT PRIMARY KEY,
    synced_at  INTEGER,            -- the last complete sync
    templates  INTEGER NOT NULL DEFAULT 0,
    tried_at   INTEGER,            -- the last attempt, complete or not
    last_error TEXT                -- why the last attempt failed; NULL after a success
) WITHOUT ROWID;

-- What the daemon learned of a template's pauses, whether from a 132015, a status webhook or
-- a sync: Meta pauses for 3 h the first time, 6 h the second, and disables the third.
CREATE TABLE template_pauses (
    channel      TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    language     TEXT    NOT NULL,
    pauses       INTEGER NOT NULL DEFAULT 0,
    paused_until INTEGER,          -- NULL or past: not paused now
    reason       TEXT,
    PRIMARY KEY (channel, name, language)
) WITHOUT ROWID;

-- A queued message held by something other than its own schedule: a paused template
-- ('template:NAME:LANGUAGE') or the recipient's marketing limit ('marketing'). `due_at` is the
-- end of the hold; `held_due_at` is what it was before, restored when the hold lifts early.
ALTER TABLE messages ADD COLUMN held_by TEXT;
ALTER TABLE messages ADD COLUMN held_reason TEXT;
ALTER TABLE messages ADD COLUMN held_due_at INTEGER;

-- After a 131049 (per-user marketing limit), no marketing template to this recipient before this.
ALTER TABLE recipients ADD COLUMN marketing_hold_until INTEGER;
