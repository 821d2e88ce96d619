-- wa-outbox schema for PostgreSQL, version 2: the template catalog, held messages and the
-- marketing opt-out list (the SQLite line's 0009 and 0010, in one file). Append-only: never
-- edit a released migration, add a new file. Times are milliseconds since 1970 (UTC).

-- Each channel's templates as 360dialog last listed them (GET /v1/configs/templates), one row
-- per (name, language). A sync replaces a channel's rows in one transaction. `spec` is what
-- each component needs at send time (OutboxCore.TemplateSpec as JSON text).
CREATE TABLE templates (
    channel    text   NOT NULL,
    name       text   NOT NULL,
    language   text   NOT NULL,
    category   text   NOT NULL,   -- marketing, utility, authentication (lowercase)
    status     text   NOT NULL,   -- APPROVED, PAUSED, DISABLED, REJECTED, ... (uppercase)
    quality    text,              -- GREEN, YELLOW, RED, UNKNOWN
    spec       text   NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (channel, name, language)
);

-- The last sync of each channel's catalog. A channel without a row (or without `synced_at`)
-- has no catalog: nothing is refused for a template reason. Its row is also what two daemons
-- syncing one channel lock, so their replacements take turns.
CREATE TABLE template_sync (
    channel    text PRIMARY KEY,
    synced_at  bigint,                      -- the last complete sync
    templates  integer NOT NULL DEFAULT 0,
    tried_at   bigint,                      -- the last attempt, complete or not
    last_error text                         -- why the last attempt failed, NULL after a success
);

-- What the daemons learned of a template's pauses, whether from a 132015, a status webhook or
-- a sync: Meta pauses for 3 h the first time, 6 h the second, and disables the third.
CREATE TABLE template_pauses (
    channel      text    NOT NULL,
    name         text    NOT NULL,
    language     text    NOT NULL,
    pauses       integer NOT NULL DEFAULT 0 CHECK (pauses >= 0),
    paused_until bigint,                    -- NULL or past: not paused now
    reason       text,
    PRIMARY KEY (channel, name, language)
);

-- A queued message held by something other than its own schedule: a paused template
-- ('template:NAME:LANGUAGE') or the recipient's marketing limit ('marketing'). `due_at` is the
-- end of the hold, `held_due_at` what it was before, restored when the hold lifts early.
ALTER TABLE messages ADD COLUMN held_by text;
ALTER TABLE messages ADD COLUMN held_reason text;
ALTER TABLE messages ADD COLUMN held_due_at bigint;
-- Lifting a hold finds its messages without walking the channel's queue.
CREATE INDEX messages_held ON messages (channel, held_by) WHERE state = 'queued' AND held_by IS NOT NULL;

-- After a 131049 (per-user marketing limit), no marketing template to this recipient before this.
ALTER TABLE recipients ADD COLUMN marketing_hold_until bigint;

-- Customers who stopped marketing messages on a channel: by the user_preferences webhook
-- ("stop"), a 131050, a configured keyword or quick-reply payload, or an operator. A "resume"
-- (or `optouts remove`) deletes the row. Marketing templates to them are refused, and those
-- already queued when the opt-out arrives fail without a request.
CREATE TABLE optouts (
    channel   text   NOT NULL,
    recipient text   NOT NULL,
    at        bigint NOT NULL,
    source    text   NOT NULL,   -- user_preferences, 131050, keyword, payload, operator
    detail    text,
    PRIMARY KEY (channel, recipient)
);
-- The list newest first (`optouts list`).
CREATE INDEX optouts_at ON optouts (at);
