-- wa-outbox schema, version 7: customers known only by username (BSUID), what the audit trail
-- keeps for support, and the channel's spam-limit hold. Times are milliseconds since 1970 (UTC).
--
-- 1. A recipient is a number (`+` and 8 to 15 digits) or a business-scoped user id (BSUID: a
--    two-letter country code, a period, letters and digits, e.g. US.13491208655302741918).
--    SQLite cannot change a CHECK in place, so `messages` is rebuilt as 0006 did: ids, the
--    AUTOINCREMENT sequence and every row kept; the CHECKs stay comparisons (no IN lists).
-- 2. Attempts keep the answer's `fbtrace_id`, `message_status` (held_for_quality_assessment)
--    and `contacts[0].wa_id`; a wa_id other than the number sent to is an alias whose replies
--    open the window of the number sent to (Brazil, Mexico).
-- 3. Status events keep `pricing` and `conversation`; priced messages are counted per category.
-- 4. A spam rate limit (131048) holds the channel's normal and bulk traffic, escalating.
--
-- Foreign keys are off while a migration runs and checked before it commits (GRDB).

CREATE TABLE messages_new (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: webhooks refer to it
    channel             TEXT    NOT NULL,
    recipient           TEXT    NOT NULL CHECK ((recipient GLOB '+[1-9]*' AND length(recipient) BETWEEN 9 AND 16)
                                                OR (recipient GLOB '[A-Z][A-Z].[0-9A-Za-z]*' AND length(recipient) BETWEEN 4 AND 260)),
    type                TEXT    NOT NULL,
    payload             TEXT,                               -- the `message` object; NULL once retention erased it
    idempotency_key     TEXT,
    priority            INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 2),  -- 0 high, 1 normal, 2 bulk
    state               TEXT    NOT NULL CHECK (state = 'queued' OR state = 'sending' OR state = 'sent' OR state = 'delivered'
                                                OR state = 'read' OR state = 'failed' OR state = 'expired' OR state = 'cancelled'),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    due_at              INTEGER NOT NULL,  -- queued: earliest hand-over; sending+awaiting: settlement deadline
    expires_at          INTEGER,
    attempts            INTEGER NOT NULL DEFAULT 0,  -- attempts counted against max_attempts
    rate_limited        INTEGER NOT NULL DEFAULT 0,  -- attempts refused by a rate or pair limit
    awaiting_settlement INTEGER NOT NULL DEFAULT 0 CHECK (awaiting_settlement = 0 OR awaiting_settlement = 1),
    wamid               TEXT,
    last_error          TEXT,
    import_id           TEXT,
    sent_at             INTEGER,
    CHECK (awaiting_settlement = 0 OR state = 'sending'),
    CHECK (wamid IS NOT NULL OR (state <> 'sent' AND state <> 'delivered' AND state <> 'read'))
);
INSERT INTO messages_new (id, channel, recipient, type, payload, idempotency_key, priority, state, created_at, updated_at,
                          due_at, expires_at, attempts, rate_limited, awaiting_settlement, wamid, last_error, import_id, sent_at)
    SELECT id, channel, recipient, type, payload, idempotency_key, priority, state, created_at, updated_at,
           due_at, expires_at, attempts, rate_limited, awaiting_settlement, wamid, last_error, import_id, sent_at FROM messages;
-- Ids are never reused: the new table continues the old sequence, not its highest surviving id.
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'messages_new', seq FROM sqlite_sequence WHERE name = 'messages'
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'messages_new');
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0))
    WHERE name = 'messages_new';
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;

CREATE UNIQUE INDEX messages_idempotency ON messages(channel, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_due ON messages(channel, priority, due_at, id) WHERE state = 'queued';
CREATE INDEX messages_recipient ON messages(recipient, id);
CREATE INDEX messages_wamid ON messages(wamid) WHERE wamid IS NOT NULL;
CREATE INDEX messages_import ON messages(import_id, id) WHERE import_id IS NOT NULL;
CREATE INDEX messages_erasable ON messages(updated_at)
    WHERE payload IS NOT NULL AND state <> 'queued' AND state <> 'sending';
CREATE INDEX messages_sending ON messages(channel, id) WHERE state = 'sending';
CREATE INDEX messages_unsent ON messages(state, id) WHERE (state = 'failed' OR state = 'expired' OR state = 'cancelled');

ALTER TABLE attempts ADD COLUMN fbtrace_id TEXT;
ALTER TABLE attempts ADD COLUMN message_status TEXT;   -- the 2xx's message_status, e.g. held_for_quality_assessment
ALTER TABLE attempts ADD COLUMN wa_id TEXT;            -- the 2xx's contacts[0].wa_id

-- A wa_id the API answered for a number sent to, when it differs from that number: the
-- customer's replies come from the wa_id and open the window of `recipient` as well.
CREATE TABLE recipient_aliases (
    channel   TEXT    NOT NULL,
    alias     TEXT    NOT NULL,   -- '+' and the wa_id's digits
    recipient TEXT    NOT NULL,   -- the number sent to
    at        INTEGER NOT NULL,
    PRIMARY KEY (channel, alias, recipient)
) WITHOUT ROWID;

ALTER TABLE events ADD COLUMN billable INTEGER;           -- pricing.billable (0/1)
ALTER TABLE events ADD COLUMN pricing_model TEXT;         -- PMP, CBP
ALTER TABLE events ADD COLUMN pricing_type TEXT;          -- regular, free_customer_service, free_entry_point
ALTER TABLE events ADD COLUMN pricing_category TEXT;      -- marketing, marketing_lite, utility, authentication, service, ...
ALTER TABLE events ADD COLUMN conversation_id TEXT;
ALTER TABLE events ADD COLUMN conversation_origin TEXT;
ALTER TABLE events ADD COLUMN fbtrace_id TEXT;            -- of a failed status's error, when given
-- Messages priced per channel, UTC day (at / 86400000), category and billable: counted once
-- per message, at its first priced status, so stats reads a few rows instead of the events.
CREATE TABLE priced (
    channel  TEXT    NOT NULL,
    day      INTEGER NOT NULL,
    category TEXT    NOT NULL,
    billable INTEGER NOT NULL,
    messages INTEGER NOT NULL,
    PRIMARY KEY (channel, day, category, billable)
) WITHOUT ROWID;

ALTER TABLE channel_state ADD COLUMN spam_level INTEGER;        -- SpamHold.level
ALTER TABLE channel_state ADD COLUMN spam_since INTEGER;        -- when that level began
ALTER TABLE channel_state ADD COLUMN spam_until INTEGER;        -- normal and bulk wait until then
