-- wa-outbox schema, version 4: the messaging limit (business-initiated reach).
-- Times are milliseconds since 1970 (UTC).

-- Recipients reached with a template outside their 24-hour window, per business portfolio:
-- the rolling 24-hour count of these rows is what the portfolio's messaging limit caps.
-- One row per (portfolio, recipient); `reached_at` is the start of the 24 hours it counts.
CREATE TABLE reach (
    portfolio  TEXT    NOT NULL,
    recipient  TEXT    NOT NULL,
    reached_at INTEGER NOT NULL,
    PRIMARY KEY (portfolio, recipient)
) WITHOUT ROWID;
CREATE INDEX reach_at ON reach(portfolio, reached_at);

-- Open windows per channel, for stats: recipients who wrote recently, without a scan.
CREATE INDEX recipients_inbound ON recipients(last_inbound_at) WHERE last_inbound_at IS NOT NULL;
