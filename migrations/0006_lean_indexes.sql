-- wa-outbox schema, version 6: fewer index writes per message.

-- `messages_state` indexed every row by state, so each message paid five index writes on its
-- way (insert, queued -> sending, sending -> sent). Queued rows are served by `messages_due`;
-- what needs a state index is small: the rows in `sending` (open requests, settlements,
-- counts) and the rare end states a user lists (failed, expired, cancelled). Common end
-- states (sent, delivered, read) are found quickly walking ids newest first.
DROP INDEX messages_state;
CREATE INDEX messages_sending ON messages(channel, id) WHERE state = 'sending';
CREATE INDEX messages_unsent ON messages(state, id) WHERE state IN ('failed', 'expired', 'cancelled');
