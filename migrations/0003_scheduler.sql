-- wa-outbox schema, version 3: per-recipient scheduling. Times are milliseconds since 1970.

-- Pair pacing and per-recipient holds: no request to this recipient before next_send_at.
ALTER TABLE recipients ADD COLUMN next_send_at INTEGER;
-- Consecutive 131056 (pair rate limit) answers, for Meta's 4^X backoff.
ALTER TABLE recipients ADD COLUMN pair_failures INTEGER NOT NULL DEFAULT 0;

-- Adaptive throughput: the rate in force after the API throttled the channel (NULL: the configured one).
ALTER TABLE channel_state ADD COLUMN current_mps INTEGER;
