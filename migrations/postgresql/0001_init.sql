-- wa-outbox schema for PostgreSQL, version 1: the SQLite line's schema as of its 0008, plus
-- what several daemons on one database need (channel leases with fencing tokens, the daemons
-- table, the claim token on messages and attempts). Append-only: never edit a released
-- migration, add a new file. Times are wall-clock milliseconds since 1970 (UTC), as in SQLite,
-- so the core's arithmetic and the row types are shared.

-- Facts about this database: its instance id (part of biz_opaque_callback_data).
CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- The outbox: one row per accepted message, from submission to its final state.
CREATE TABLE messages (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- never reused: webhooks refer to it
    channel             text     NOT NULL,
    recipient           text     NOT NULL CHECK ((recipient ~ '^\+[1-9]' AND length(recipient) BETWEEN 9 AND 16)
                                                 OR (recipient ~ '^[A-Z][A-Z]\.[0-9A-Za-z]*$' AND length(recipient) BETWEEN 4 AND 260)),
    type                text     NOT NULL,
    payload             text,                        -- the `message` object; NULL once retention erased it
    idempotency_key     text,
    priority            smallint NOT NULL CHECK (priority BETWEEN 0 AND 2),  -- 0 high, 1 normal, 2 bulk
    state               text     NOT NULL CHECK (state IN
                            ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'expired', 'cancelled')),
    created_at          bigint   NOT NULL,
    updated_at          bigint   NOT NULL,
    due_at              bigint   NOT NULL,  -- queued: earliest hand-over; sending+awaiting: settlement deadline
    expires_at          bigint,
    attempts            integer  NOT NULL DEFAULT 0,  -- attempts counted against max_attempts
    rate_limited        integer  NOT NULL DEFAULT 0,  -- attempts refused by a rate or pair limit
    awaiting_settlement boolean  NOT NULL DEFAULT false,
    wamid               text,
    last_error          text,
    import_id           text,
    sent_at             bigint,
    claim_token         bigint,             -- the channel lease's token when this row was last claimed
    CHECK (NOT awaiting_settlement OR state = 'sending'),
    CHECK (wamid IS NOT NULL OR state NOT IN ('sent', 'delivered', 'read'))
);
CREATE UNIQUE INDEX messages_idempotency ON messages (channel, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- The dispatcher's queue: only queued rows, in the order they leave.
CREATE INDEX messages_due ON messages (channel, priority, due_at, id) WHERE state = 'queued';
-- A recipient's earliest due message, and whether a request to them is open.
CREATE INDEX messages_active ON messages (channel, recipient, priority, id) WHERE state IN ('queued', 'sending');
CREATE INDEX messages_recipient ON messages (recipient, id);
CREATE INDEX messages_wamid ON messages (wamid) WHERE wamid IS NOT NULL;
CREATE INDEX messages_import ON messages (import_id, id) WHERE import_id IS NOT NULL;
CREATE INDEX messages_erasable ON messages (updated_at) WHERE payload IS NOT NULL AND state NOT IN ('queued', 'sending');
CREATE INDEX messages_sending ON messages (channel, id) WHERE state = 'sending';
CREATE INDEX messages_unsent ON messages (state, id) WHERE state IN ('failed', 'expired', 'cancelled');

-- The audit trail: one row per request handed to the API (or interrupted on its way).
CREATE TABLE attempts (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id     bigint  NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    channel        text    NOT NULL,
    at             bigint  NOT NULL,   -- when the request started
    outcome        text    NOT NULL CHECK (outcome IN
                       ('accepted', 'permanent_error', 'retryable_error', 'rate_limited', 'channel_error', 'unknown_outcome')),
    http_status    integer,
    error_code     integer,
    error_title    text,
    error_details  text,
    latency_ms     bigint,
    fbtrace_id     text,
    message_status text,                -- the 2xx's message_status, e.g. held_for_quality_assessment
    wa_id          text,                -- the 2xx's contacts[0].wa_id
    claim_token    bigint,              -- the lease token the request was made under
    daemon         text                 -- the daemon that made it
);
CREATE INDEX attempts_message ON attempts (message_id);
CREATE INDEX attempts_at ON attempts (at);

-- Everything else in a message's timeline: statuses the API reported, and the daemon's own
-- decisions that no attempt shows (expired, cancelled, settled, ...).
CREATE TABLE events (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id          bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    at                  bigint NOT NULL,
    status              text   NOT NULL,
    detail              text,
    billable            smallint,
    pricing_model       text,
    pricing_type        text,
    pricing_category    text,
    conversation_id     text,
    conversation_origin text,
    fbtrace_id          text
);
CREATE INDEX events_message ON events (message_id);
-- A status reported twice is applied once.
CREATE UNIQUE INDEX events_status_once ON events (message_id, status) WHERE status IN ('sent', 'delivered', 'read', 'played', 'failed');

-- Per-channel state that must survive a restart.
CREATE TABLE channel_state (
    channel       text PRIMARY KEY,
    paused_reason text,
    paused_at     bigint,
    paused_until  bigint,          -- NULL: until an operator resumes it
    current_mps   integer,         -- adaptive throughput after the API throttled the channel
    spam_level    integer,
    spam_since    bigint,
    spam_until    bigint
);

-- Webhook payloads exactly as they arrived, stored before the 200 is answered.
CREATE TABLE inbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel      text,
    source       text   NOT NULL CHECK (source IN ('webhook', 'socket')),
    received_at  bigint NOT NULL,
    body         bytea  NOT NULL,
    processed_at bigint,
    error        text
);
CREATE INDEX inbox_pending ON inbox (id) WHERE processed_at IS NULL;

-- What the daemon knows of each recipient of a channel.
CREATE TABLE recipients (
    channel          text   NOT NULL,
    recipient        text   NOT NULL,
    last_inbound_at  bigint,
    window_closed_at bigint,
    unreachable_at   bigint,
    next_send_at     bigint,                      -- no request to this recipient before then
    pair_failures    integer NOT NULL DEFAULT 0,  -- consecutive 131056 answers
    PRIMARY KEY (channel, recipient)
);
CREATE INDEX recipients_inbound ON recipients (last_inbound_at) WHERE last_inbound_at IS NOT NULL;

-- A wa_id the API answered for a number sent to, when it differs from that number.
CREATE TABLE recipient_aliases (
    channel   text   NOT NULL,
    alias     text   NOT NULL,
    recipient text   NOT NULL,
    at        bigint NOT NULL,
    PRIMARY KEY (channel, alias, recipient)
);

-- Recipients reached with a template outside their 24-hour window, per business portfolio.
CREATE TABLE reach (
    portfolio  text   NOT NULL,
    recipient  text   NOT NULL,
    reached_at bigint NOT NULL,
    PRIMARY KEY (portfolio, recipient)
);
CREATE INDEX reach_at ON reach (portfolio, reached_at);
-- One row per portfolio, locked FOR UPDATE by the claims that admit a new recipient: channels
-- of one portfolio may be sent by different daemons, and the budget stays exact across them.
CREATE TABLE portfolio_locks (
    portfolio text PRIMARY KEY
);

-- Messages priced per channel, UTC day, category and billable.
CREATE TABLE priced (
    channel  text    NOT NULL,
    day      bigint  NOT NULL,
    category text    NOT NULL,
    billable smallint NOT NULL,
    messages bigint  NOT NULL,
    PRIMARY KEY (channel, day, category, billable)
);

-- Every change an application may want to react to. `id` is the cursor of `GET /v1/events`;
-- writers take one advisory lock per transaction before inserting here, so ids commit in
-- order across daemons (a reader that sees id N has seen every id below it).
CREATE TABLE event_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         bigint NOT NULL,
    type       text   NOT NULL,
    channel    text,
    message_id bigint,
    data       text
);

-- A subscriber's progress: the last event it acknowledged.
CREATE TABLE subscriber_state (
    name          text PRIMARY KEY,
    cursor        bigint NOT NULL DEFAULT 0,
    failing_since bigint,
    last_error    text,
    last_success  bigint
);

-- Who sends each channel. Logged, so tokens survive a crash and a replica promotion.
CREATE TABLE channel_leases (
    channel     text PRIMARY KEY,
    owner       text,                        -- daemon id; NULL: free (released)
    token       bigint NOT NULL DEFAULT 0,   -- fencing token: +1 at every acquisition, never reused
    renewals    bigint NOT NULL DEFAULT 0,   -- +1 at every renewal and release: what contenders watch
    mps         integer,                     -- the owner's configured limit, for stats
    acquired_at bigint,                      -- database clock in ms, for operators only
    renewed_at  bigint
);

-- Live daemons, for spreading channels and for stats (not for safety).
CREATE TABLE daemons (
    id         text PRIMARY KEY,
    host       text    NOT NULL,
    pid        integer NOT NULL,
    started_at bigint  NOT NULL,
    beat_at    bigint  NOT NULL,
    beats      bigint  NOT NULL DEFAULT 0
);
