-- wa-outbox schema, version 5: retention. Times are milliseconds since 1970 (UTC).

-- Finished messages that still hold a body, oldest change first: what the retention pass
-- erases next. A row leaves the index when its body is erased, so a pass never re-reads
-- the ones it already did (without it, each batch walked every erased row again: 220 ms
-- per 1,000-row batch behind 600,000 erased rows, against 7 ms with it).
CREATE INDEX messages_erasable ON messages(updated_at)
    WHERE payload IS NOT NULL AND state NOT IN ('queued', 'sending');
