-- wa-outbox schema, version 11: imported rows staged before they become messages.
-- Times are milliseconds since 1970 (UTC).

-- One bulk import on one channel (its rows' keys are `imp-<import_id>-r<row>` on that
-- channel). `seq` keeps each staged row's key short. `staged` counts its rows waiting in
-- `staged_rows`; `cancelled` the staged rows a cancel of the import removed (they never
-- became messages, and are counted as cancelled when the import's states are asked for);
-- `expanded_through` the highest row the expander made a message (a row of a re-run at or
-- below it is looked up among messages; one above it only if some message has a key above it).
CREATE TABLE staged_imports (
    seq              INTEGER PRIMARY KEY,
    import_id        TEXT    NOT NULL,
    channel          TEXT    NOT NULL,
    staged           INTEGER NOT NULL DEFAULT 0 CHECK (staged >= 0),
    cancelled        INTEGER NOT NULL DEFAULT 0 CHECK (cancelled >= 0),
    expanded_through INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    UNIQUE (import_id, channel)
);

-- An imported row, checked and committed (durable: its import counted it accepted), not yet
-- a message. The expander turns rows into messages in (seq, row) order, a few thousand ahead
-- of what the channel sends, with the same insert (holds, `accepted` event) a submission
-- gets, and deletes them in the same transaction. One sequential B-tree and no secondary
-- index: committing a million rows costs about what `sqlite3 .import` does.
CREATE TABLE staged_rows (
    seq               INTEGER NOT NULL REFERENCES staged_imports(seq),
    row               INTEGER NOT NULL,
    recipient         TEXT    NOT NULL,
    type              TEXT    NOT NULL,
    payload           TEXT    NOT NULL,
    priority          INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 2),
    not_before        INTEGER,
    expires_at        INTEGER,
    template_name     TEXT,
    template_language TEXT,
    template_category TEXT,
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (seq, row)
) WITHOUT ROWID;
