-- wa-outbox schema, version 10: the marketing opt-out list.
-- Times are milliseconds since 1970 (UTC).

-- Customers who stopped marketing messages on a channel: by the user_preferences webhook
-- ("stop"), a 131050, a configured keyword or quick-reply payload, or an operator. A "resume"
-- (or `optouts remove`) deletes the row. Marketing templates to them are refused, and those
-- already queued when the opt-out arrives fail without a request.
CREATE TABLE optouts (
    channel   TEXT    NOT NULL,
    recipient TEXT    NOT NULL,
    at        INTEGER NOT NULL,
    source    TEXT    NOT NULL,   -- user_preferences, 131050, keyword, payload, operator
    detail    TEXT,
    PRIMARY KEY (channel, recipient)
) WITHOUT ROWID;
