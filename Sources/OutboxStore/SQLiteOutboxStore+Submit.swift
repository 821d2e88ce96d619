import GRDB
import OutboxCore

/// What storing one submission came to.
public enum SubmitResult: Sendable, Equatable {
    /// Stored as a new message.
    case created(id: Int64)
    /// The idempotency key was already used with the same content: nothing new stored.
    /// (For an import row the SQLite store staged, id 0 stands for "staged, not a message
    /// yet" in all three cases; see SQLiteOutboxStore+Staging.)
    case duplicate(id: Int64, state: MessageState)
    /// The idempotency key was already used with different content.
    case conflict(id: Int64)
}

extension SQLiteOutboxStore {
    /// Stores a batch of validated submissions in one transaction (one fsync for all).
    /// Each gets its own result; a duplicate or conflict does not affect the others.
    public func submit(_ batch: [Submission], nowMillis: Int64) async throws(StoreError) -> [SubmitResult] {
        try await write { db in try Self.insert(batch, db: db, nowMillis: nowMillis) }
    }

    /// `createdAtMillis`: each row's acceptance time when it is not now (a staged import row
    /// being expanded keeps the time it was staged).
    static func insert(_ batch: [Submission], db: Database, nowMillis: Int64, createdAtMillis: [Int64]? = nil) throws -> [SubmitResult] {
        let insert = try RawStatement(db, sql: """
            INSERT INTO messages (channel, recipient, type, payload, idempotency_key, priority, state,
                                  created_at, updated_at, due_at, expires_at, import_id, held_by, held_reason, held_due_at)
            VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (channel, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            """)
        let lookup = try db.cachedStatement(sql: """
            SELECT id, recipient, payload, state FROM messages WHERE channel = ? AND idempotency_key = ?
            """)
        var results: [SubmitResult] = []
        results.reserveCapacity(batch.count)
        // Keys and payloads compare as bytes, as SQLite's unique index does: Swift's `String`
        // equality is canonical equivalence, which would call an NFD resubmission of an NFC
        // body (or key) the same content. A key repeated within the batch needs nothing of its
        // own: the earlier row is in the index already, so the insert does nothing and the
        // lookup below finds it, as it finds one of an earlier batch.
        // Ids of the rows created here: one writer, so they are one ascending range.
        var created: (first: Int64, last: Int64)?
        // A template's pause, looked up once per batch: an import's rows mostly share one template.
        var pauses: [TemplateKey: TemplatePause?] = [:]
        // An import's rows that may wait in the staging table (see SQLiteOutboxStore+Staging).
        var staging: StagingStatements?
        var stagedImports: [String: StagedImport] = [:]
        // By index, not `for s in batch`: a loop variable copies the whole submission (a
        // dozen strings retained and released) per row on the one writer.
        for i in batch.indices {
            if let row = stagedRow(of: batch[i], nowMillis: nowMillis), let importID = batch[i].importID {
                if staging == nil { staging = try StagingStatements(db) }
                results.append(try stage(batch, i, row: row, importID: importID, db: db, nowMillis: nowMillis,
                                         imports: &stagedImports, statements: staging!))
                continue
            }
            var due = max(nowMillis, batch[i].notBeforeMillis ?? nowMillis)
            let hold = batch[i].isTemplate ? try Self.submissionHold(batch[i], db: db, nowMillis: nowMillis, pauses: &pauses) : nil
            let heldDue = hold.map { _ in due }
            if let hold { due = max(due, hold.until) }
            // A key already stored makes the insert do nothing (the unique index finds it in
            // the same descent); only then is the stored row read and compared. Most keys
            // are new, so most rows cost one statement, not a lookup and an insert.
            let changed = try insert.run { row in
                row.bind(1, batch[i].channel)
                row.bind(2, batch[i].recipient.e164)
                row.bind(3, batch[i].messageType)
                row.bind(4, batch[i].payload)
                row.bind(5, batch[i].idempotencyKey)
                row.bind(6, batch[i].priority.rank)
                row.bind(7, createdAtMillis?[i] ?? nowMillis)
                row.bind(8, nowMillis)
                row.bind(9, due)
                row.bind(10, batch[i].expiresAtMillis)
                row.bind(11, batch[i].importID)
                row.bind(12, hold?.by)
                row.bind(13, hold?.reason)
                row.bind(14, heldDue)
            }
            if changed == 0, let key = batch[i].idempotencyKey {
                guard let stored = try Row.fetchOne(lookup, arguments: [batch[i].channel, key]) else {
                    throw StoreError.unavailable("message with idempotency_key '\(key)' neither stored nor found")
                }
                results.append(resubmission(batch[i], of: stored))
                continue
            }
            let id = db.lastInsertedRowID
            created = (created?.first ?? id, id)
            results.append(.created(id: id))
        }
        if let created { try logAccepted(db, firstID: created.first, lastID: created.last) }
        try countStaged(stagedImports, db: db)
        return results
    }

    /// What a submission whose key message `stored` (id, recipient, payload, state) holds
    /// comes to: the same content is a duplicate, other content a conflict.
    static func resubmission(_ s: Submission, of stored: Row) -> SubmitResult {
        let id: Int64 = stored["id"]
        let same = stored["recipient"] as String == s.recipient.e164 && (stored["payload"] as String?)?.utf8.elementsEqual(s.payload.utf8) == true
        return same ? .duplicate(id: id, state: MessageState(rawValue: stored["state"]) ?? .queued) : .conflict(id: id)
    }

    /// A template of one channel, as pauses are kept.
    struct TemplateKey: Hashable {
        var channel: String
        var name: String
        var language: String
    }

    /// A template's pause in force: until when, and why.
    struct TemplatePause {
        var until: Int64
        var reason: String
    }

    /// What holds a new template message from the start: its template's pause in force, or
    /// (for a marketing template) the recipient's marketing limit. `pauses` keeps the pauses
    /// already looked up in this transaction (nothing changes them meanwhile: one writer).
    static func submissionHold(_ s: Submission, db: Database, nowMillis: Int64, pauses: inout [TemplateKey: TemplatePause?]) throws -> (by: String, reason: String, until: Int64)? {
        guard let name = s.templateName, let language = s.templateLanguage else { return nil }
        let key = TemplateKey(channel: s.channel, name: name, language: language)
        let pause: TemplatePause?
        if let known = pauses[key] {
            pause = known
        } else {
            pause = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT paused_until, reason FROM template_pauses WHERE channel = ? AND name = ? AND language = ? AND paused_until > ?
                """), arguments: [s.channel, name, language, nowMillis]).map { row in
                let until: Int64 = row["paused_until"]
                return TemplatePause(until: until, reason: ((row["reason"] as String?) ?? "template '\(name)' (\(language)) is paused") + "; held until \(RFC3339.format(millis: until)) or until it is approved again")
            }
            pauses[key] = .some(pause)
        }
        if let pause { return (templateHoldKey(name: name, language: language), pause.reason, pause.until) }
        if s.templateCategory == "marketing", let until = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT marketing_hold_until FROM recipients WHERE channel = ? AND recipient = ? AND marketing_hold_until > ?
            """), arguments: [s.channel, s.recipient.e164, nowMillis]) {
            return ("marketing", marketingHoldReason(until), until)
        }
        return nil
    }

    /// Cancels a message that has not been handed to the API.
    /// - Returns: the state it ended in (`cancelled`, or the state that prevented it).
    public func cancel(id: Int64, nowMillis: Int64) async throws(StoreError) -> (cancelled: Bool, state: MessageState) {
        try await write { db in
            guard let raw = try String.fetchOne(db, sql: "SELECT state FROM messages WHERE id = ?", arguments: [id]),
                  let state = MessageState(rawValue: raw)
            else { throw StoreError.notFound }
            guard state == .queued else { return (false, state) }
            try db.execute(sql: "UPDATE messages SET state = 'cancelled', updated_at = ? WHERE id = ?", arguments: [nowMillis, id])
            try db.execute(sql: "INSERT INTO events (message_id, at, status, detail) VALUES (?, ?, 'cancelled', 'cancelled by request')",
                           arguments: [id, nowMillis])
            try Self.logMessageEvent(db, .cancelled, messageID: id, at: nowMillis, data: ["reason": .string("cancelled by request")])
            return (true, .cancelled)
        }
    }
}
