-- The event log without a lock held across a writer's transaction. Before this, every
-- transaction that wrote an event took one advisory lock and held it to its commit, so ids
-- committed in order; a daemon frozen inside such a transaction (SIGSTOP, a VM pause) stopped
-- every writer of every daemon until the server ended its session.
--
-- Now writers append to `event_pending` (no lock, no order between daemons), and
-- `publish_events` moves committed rows into `event_log`, where they get their ids. Only the
-- publisher writes `event_log` ids, under the same advisory lock, and it runs as one statement
-- on the server: no client can be stopped while holding the lock. So ids still commit in
-- order, and a reader that sees id N has seen every id below it (the cursor contract). A
-- daemon of the previous version, which inserts into `event_log` under that lock, stays
-- correct beside this one.
CREATE TABLE event_pending (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         bigint NOT NULL,
    type       text   NOT NULL,
    channel    text,
    message_id bigint,
    data       text
);

-- Moves up to `batch` committed pending events into the log, oldest first; returns how many.
-- Each statement of a PL/pgSQL function takes a fresh snapshot, so the move sees everything
-- committed before the lock was granted (and a row another publisher moved is gone).
CREATE FUNCTION publish_events(batch integer) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(2002874213, hashtext(current_schema()));
    WITH taken AS (
        DELETE FROM event_pending WHERE seq IN (SELECT seq FROM event_pending ORDER BY seq LIMIT batch) RETURNING *
    )
    INSERT INTO event_log (at, type, channel, message_id, data)
    SELECT at, type, channel, message_id, data FROM taken ORDER BY seq;
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END
$$;
