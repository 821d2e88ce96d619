import GRDB
import OutboxCore

/// The SQLite statements one claim runs, prepared once per claim from the writer's cache.
/// The page and the mark, run for every candidate and every taken message, go through
/// SQLite's C API (`RawStatement`): reading a page into GRDB rows (a `Row` per candidate, a
/// boxed value per column) and binding through `StatementArguments` cost about as much as
/// SQLite's own work.
struct ClaimStatements {
    /// One statement per page gives each candidate with what the claim needs to judge it:
    /// the recipient's state (holds, window), whether a request to them is still open (slow
    /// answer, unknown outcome: the next one waits, so two requests to one recipient never
    /// race), and the id of their earliest due message of this priority (per-recipient order
    /// is submission order). A held recipient's lookups are skipped.
    /// Arguments: channel, priority rank, now, cursor due_at, cursor id, page size.
    /// Its columns are read by position (`SQLiteOutboxStore.Col`): keep their order.
    let page: RawStatement
    /// Rare: the recipient's earliest due message is not this candidate (an earlier one
    /// became due later, e.g. a retry, or one just expired in this claim): read it afresh.
    /// Arguments: recipient, channel, priority rank, now. Its columns are the page's first nine.
    let earliest: Statement
    /// Arguments: now, id.
    let marking: RawStatement
    /// When the recipient was last reached in the portfolio. Arguments: portfolio, recipient.
    let reached: Statement
    /// Arguments: portfolio, recipient, now.
    let recordReach: Statement

    init(_ db: Database) throws {
        page = try RawStatement(db, sql: """
            SELECT m.id, m.recipient, m.type, m.payload, m.attempts, m.rate_limited, m.created_at, m.due_at, m.expires_at,
                   r.last_inbound_at, r.window_closed_at, r.next_send_at, r.unreachable_at,
                   CASE WHEN r.next_send_at > ?3 THEN NULL ELSE
                     (SELECT e.id FROM messages e INDEXED BY messages_recipient
                      WHERE e.recipient = m.recipient AND e.channel = m.channel AND e.priority = m.priority
                        AND e.state = 'queued' AND e.due_at <= ?3
                      ORDER BY e.id LIMIT 1) END AS first_id,
                   CASE WHEN r.next_send_at > ?3 THEN 0 ELSE
                     EXISTS (SELECT 1 FROM messages s INDEXED BY messages_recipient
                             WHERE s.recipient = m.recipient AND s.channel = m.channel AND s.state = 'sending') END AS open
            FROM messages m INDEXED BY messages_due
            LEFT JOIN recipients r ON r.channel = m.channel AND r.recipient = m.recipient
            WHERE m.state = 'queued' AND m.channel = ?1 AND m.priority = ?2 AND m.due_at <= ?3 AND (m.due_at, m.id) > (?4, ?5)
            ORDER BY m.due_at, m.id LIMIT ?6
            """)
        earliest = try db.cachedStatement(sql: """
            SELECT id, recipient, type, payload, attempts, rate_limited, created_at, due_at, expires_at
            FROM messages INDEXED BY messages_recipient
            WHERE recipient = ? AND channel = ? AND priority = ? AND state = 'queued' AND due_at <= ?
            ORDER BY id LIMIT 1
            """)
        marking = try RawStatement(db, sql: "UPDATE messages SET state = 'sending', updated_at = ? WHERE id = ?")
        reached = try db.cachedStatement(sql: "SELECT reached_at FROM reach WHERE portfolio = ? AND recipient = ?")
        recordReach = try db.cachedStatement(sql: """
            INSERT INTO reach (portfolio, recipient, reached_at) VALUES (?, ?, ?)
            ON CONFLICT(portfolio, recipient) DO UPDATE SET reached_at = excluded.reached_at
            """)
    }
}

extension ClaimStatements {
    /// One page of candidates: up to `limit` due messages after `cursor` (due_at, id).
    func readPage(channel: String, priority: Int, nowMillis: Int64, after cursor: (Int64, Int64), limit: Int) throws -> [ClaimRow] {
        typealias Col = SQLiteOutboxStore.Col
        var rows: [ClaimRow] = []
        rows.reserveCapacity(limit)
        try page.rows({ s in
            s.bind(1, channel)
            s.bind(2, priority)
            s.bind(3, nowMillis)
            s.bind(4, cursor.0)
            s.bind(5, cursor.1)
            s.bind(6, limit)
        }) { page in
            let message = ClaimMessage(id: page.int64(Col.id), recipient: page.string(Col.recipient), type: page.string(Col.type),
                                       expiresMillis: page.optionalInt64(Col.expiresAt), hasBody: !page.isNull(Col.payload))
            let recipient = RecipientState(lastInboundMillis: page.optionalInt64(Col.lastInboundAt), windowClosedMillis: page.optionalInt64(Col.windowClosedAt),
                                           nextSendMillis: page.optionalInt64(Col.nextSendAt), unreachableMillis: page.optionalInt64(Col.unreachableAt))
            rows.append(ClaimRow(
                seen: ClaimCandidate(message: message, recipient: recipient, firstID: page.optionalInt64(Col.firstID),
                                     open: (page.optionalInt64(Col.open) ?? 0) != 0),
                body: ClaimBody(payload: page.optionalString(Col.payload), attempts: Int(page.int64(Col.attempts)),
                                rateLimited: Int(page.int64(Col.rateLimited)), createdMillis: page.int64(Col.createdAt)),
                dueAt: page.int64(Col.dueAt)))
        }
        return rows
    }

    /// Marks a taken message `sending`.
    func mark(_ id: Int64, nowMillis: Int64) throws {
        try marking.run { s in
            s.bind(1, nowMillis)
            s.bind(2, id)
        }
    }
}

/// A page row: the candidate as the planner sees it, and what a taken message needs besides.
struct ClaimRow {
    var seen: ClaimCandidate
    var body: ClaimBody
    var dueAt: Int64
}

/// What a taken message carries that the planner does not judge.
struct ClaimBody {
    var payload: String?
    var attempts: Int
    var rateLimited: Int
    var createdMillis: Int64
}
