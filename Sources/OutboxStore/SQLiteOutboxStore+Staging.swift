import GRDB
import OutboxCore

/// An import's rows, staged: committed once, compactly, to `staged_rows` (one sequential
/// B-tree keyed by import and row), and turned into messages by the expander a few thousand
/// ahead of what their channel sends. A million rows then cost the import what
/// `sqlite3 .import` costs, not a message each with its index entries and `accepted` event
/// (the store's floor of that was 8 s here); a campaign at 80 msg/s takes hours to send, so
/// its rows need not all be messages in its first seconds.
///
/// What a staged row is to the user: accepted and durable (its import counted it, a re-run
/// finds it), queued in `stats` and in the import's states, cancelled with its import. It
/// becomes a message (an id, an `accepted` event, a listing) when it is expanded; its
/// `created_at` and the event's `at` stay the time it was staged.
extension SQLiteOutboxStore {
    /// Rows that may be staged: the rows endpoint's (keyed by import and row), not `high`
    /// (a high row must not wait behind a campaign's), not scheduled further out than this
    /// (rows wait in row order, so a far `not_before` would hold back the rows after it).
    static let stagingHorizonMillis: Int64 = 3_600_000

    /// The row number under which `s` may be staged, or nil: it is stored as a message.
    static func stagedRow(of s: Submission, nowMillis: Int64) -> Int64? {
        // Below 10^10 a row's key has 10 digits, so keys sort as rows do (see `stage`).
        guard let row = s.stagedRow, let importID = s.importID, row > 0, row < 10_000_000_000, s.priority != .high,
              !s.recipient.isBSUID, (s.notBeforeMillis ?? nowMillis) <= nowMillis + stagingHorizonMillis,
              let key = s.idempotencyKey, isStagedKey(key, importID: importID, row: row)
        else { return nil }
        return row
    }

    /// `key == stagedKey(importID:row:)`, read in place (building the key per row was a tenth
    /// of the writer's staging of it).
    static func isStagedKey(_ key: String, importID: String, row: Int64) -> Bool {
        var k = key.utf8.makeIterator()
        for b in "imp-".utf8 { guard k.next() == b else { return false } }
        for b in importID.utf8 { guard k.next() == b else { return false } }
        guard k.next() == UInt8(ascii: "-"), k.next() == UInt8(ascii: "r") else { return false }
        // The number in at least 10 digits, zero-padded: no other spelling of it counts.
        var digits = 0, value: Int64 = 0
        while let b = k.next() {
            guard (0x30...0x39).contains(b), digits < 13 else { return false }
            value = value * 10 + Int64(b - 0x30)
            digits += 1
        }
        var width = 1, rest = row
        while rest >= 10 { rest /= 10; width += 1 }
        return digits == max(10, width) && value == row
    }

    /// The idempotency key of a staged row once it is a message: the rows endpoint's key,
    /// `imp-<import id>-r<row in at least 10 digits>` (`ImportKeys.rowKey`, which a test holds
    /// this to; the store does not depend on the importer).
    public static func stagedKey(importID: String, row: Int64) -> String {
        let digits = String(row)
        return "imp-" + importID + "-r" + String(repeating: "0", count: max(0, 10 - digits.utf8.count)) + digits
    }

    /// One import on one channel, as the batch being stored knows it.
    struct StagedImport {
        var seq: Int64
        /// Rows up to this one may be messages (expanded): their keys are looked up among messages.
        var expandedThrough: Int64
        /// A message holds one of this import's keys above `expandedThrough` (a row stored as a
        /// message at once, or by an earlier run through the NDJSON path): every row's key is
        /// then looked up among messages.
        var probeAll: Bool
        var added = 0

        func mayBeMessage(row: Int64) -> Bool { probeAll || row <= expandedThrough }
    }

    /// Stages row `row`, submission `batch[i]` (see `stagedRow(of:)`), or finds it staged or
    /// stored. (By index: a `Submission` passed by value is copied, a dozen retains, per row.)
    /// Results: `.created(id: 0)` staged now; `.duplicate(id:state:)` already a message (its
    /// id) or already staged (id 0, queued); `.conflict(id:)` the key holds other content
    /// (id 0: a staged row). Id 0 is never a message's (ids start at 1).
    static func stage(_ batch: [Submission], _ i: Int, row: Int64, importID: String, db: Database, nowMillis: Int64,
                      imports: inout [String: StagedImport], statements: StagingStatements) throws -> SubmitResult {
        let scope = batch[i].channel + "\u{0}" + importID
        if imports[scope] == nil {
            var seq: Int64, through: Int64 = 0
            if let known = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, expanded_through FROM staged_imports WHERE import_id = ? AND channel = ?"),
                                            arguments: [importID, batch[i].channel]) {
                seq = known["seq"]
                through = known["expanded_through"]
            } else {
                try db.cachedStatement(sql: "INSERT INTO staged_imports (import_id, channel, created_at) VALUES (?, ?, ?)")
                    .execute(arguments: [importID, batch[i].channel, nowMillis])
                seq = db.lastInsertedRowID
            }
            // One import's row keys sort as its rows do (10 digits, zero-padded), so one range
            // probe of the unique index says whether a message holds a key above the rows
            // expanded; while none does, a row above them needs no lookup of its own (looking
            // up every row was a third of the writer's staging once the expander had begun).
            let probe = try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM messages WHERE channel = ? AND idempotency_key > ? AND idempotency_key < ?)
                """), arguments: [batch[i].channel, stagedKey(importID: importID, row: through), "imp-" + importID + "-s"]) ?? true
            imports[scope] = StagedImport(seq: seq, expandedThrough: through, probeAll: probe)
        }
        let seq = imports[scope]!.seq
        if imports[scope]!.mayBeMessage(row: row), let key = batch[i].idempotencyKey, try statements.isMessage(channel: batch[i].channel, key: key),
           let stored = try Row.fetchOne(statements.lookup, arguments: [batch[i].channel, key]) {
            return resubmission(batch[i], of: stored)
        }
        let changed = try statements.insert.run { r in
            r.bind(1, seq)
            r.bind(2, row)
            r.bind(3, batch[i].recipient.e164)
            r.bind(4, batch[i].messageType)
            r.bind(5, batch[i].payload)
            r.bind(6, batch[i].priority.rank)
            r.bind(7, batch[i].notBeforeMillis)
            r.bind(8, batch[i].expiresAtMillis)
            r.bind(9, batch[i].templateName)
            r.bind(10, batch[i].templateLanguage)
            r.bind(11, batch[i].templateCategory)
            r.bind(12, nowMillis)
        }
        if changed == 0 {
            guard let stored = try Row.fetchOne(statements.lookupStaged, arguments: [seq, row]) else {
                throw StoreError.unavailable("staged row \(row) of import '\(importID)' neither stored nor found")
            }
            let same = stored["recipient"] as String == batch[i].recipient.e164 && (stored["payload"] as String).utf8.elementsEqual(batch[i].payload.utf8)
            return same ? .duplicate(id: 0, state: .queued) : .conflict(id: 0)
        }
        imports[scope]!.added += 1
        return .created(id: 0)
    }

    /// The staging statements of one transaction.
    struct StagingStatements {
        let insert: RawStatement
        /// Whether a key is a message's: one index seek through the C API (GRDB's row
        /// lookup per row was a third of the writer's staging once rows were expanded).
        let exists: RawStatement
        let lookup: Statement
        let lookupStaged: Statement

        func isMessage(channel: String, key: String) throws -> Bool {
            var found = false
            try exists.rows({ $0.bind(1, channel); $0.bind(2, key) }) { _ in found = true }
            return found
        }

        init(_ db: Database) throws {
            insert = try RawStatement(db, sql: """
                INSERT INTO staged_rows (seq, row, recipient, type, payload, priority, not_before, expires_at,
                                         template_name, template_language, template_category, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (seq, row) DO NOTHING
                """)
            exists = try RawStatement(db, sql: "SELECT 1 FROM messages WHERE channel = ? AND idempotency_key = ?")
            lookup = try db.cachedStatement(sql: "SELECT id, recipient, payload, state FROM messages WHERE channel = ? AND idempotency_key = ?")
            lookupStaged = try db.cachedStatement(sql: "SELECT recipient, payload FROM staged_rows WHERE seq = ? AND row = ?")
        }
    }

    /// Adds the rows a batch staged to their imports' counts.
    static func countStaged(_ imports: [String: StagedImport], db: Database) throws {
        for i in imports.values where i.added > 0 {
            try db.cachedStatement(sql: "UPDATE staged_imports SET staged = staged + ? WHERE seq = ?").execute(arguments: [i.added, i.seq])
        }
    }

    // MARK: The expander's side

    public var stagesImports: Bool { true }

    /// Staged rows per channel (only channels that have some).
    public func stagedCounts() async throws(StoreError) -> [String: Int] {
        try await read { db in try Self.stagedByChannel(db).mapValues(\.rows) }
    }

    /// Staged rows per channel that has some, and when the oldest of their imports began (the
    /// oldest row was staged no earlier): for the expander, stats and metrics alike.
    static func stagedByChannel(_ db: Database) throws -> [String: (rows: Int, since: Int64)] {
        var out: [String: (rows: Int, since: Int64)] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT channel, sum(staged) AS n, min(created_at) AS first FROM staged_imports WHERE staged > 0 GROUP BY channel
            """)) {
            out[row["channel"]] = (row["n"], row["first"])
        }
        return out
    }

    /// Queued messages of `channel`, counted up to `cap` (the count stops there: it only
    /// has to say whether the expander is far enough ahead).
    public func queuedCount(channel: String, cap: Int) async throws(StoreError) -> Int {
        try await read { db in
            try Int.fetchOne(db.cachedStatement(sql: """
                SELECT count(*) FROM (SELECT 1 FROM messages INDEXED BY messages_due WHERE channel = ? AND state = 'queued' LIMIT ?)
                """), arguments: [channel, cap]) ?? 0
        }
    }

    /// Turns up to `limit` staged rows of `channel`, oldest import and lowest row first, into
    /// messages, in one transaction: the same insert as a submission's (a template's pause, a
    /// marketing hold, the `accepted` event), then the rows leave the staging table.
    /// - Returns: messages created, and rows dropped because their key was a message already
    ///   (a submission that took the key meanwhile: nothing is sent twice).
    public func expandStaged(channel: String, limit: Int, nowMillis: Int64) async throws(StoreError) -> (created: Int, dropped: Int) {
        try await write { db in
            var batch: [Submission] = [], createdAt: [Int64] = []
            var taken: [(seq: Int64, lastRow: Int64, count: Int)] = []
            let imports = try Row.fetchAll(db.cachedStatement(sql: "SELECT seq, import_id FROM staged_imports WHERE channel = ? AND staged > 0 ORDER BY seq"),
                                           arguments: [channel])
            let rows = try db.cachedStatement(sql: """
                SELECT row, recipient, type, payload, priority, not_before, expires_at, template_name, template_language,
                       template_category, created_at
                FROM staged_rows WHERE seq = ? ORDER BY row LIMIT ?
                """)
            for imp in imports where batch.count < limit {
                let seq: Int64 = imp["seq"], importID: String = imp["import_id"]
                var last: Int64?, count = 0
                // Columns by position, as the SELECT lists them (by name, GRDB lowercases and
                // searches the names per value: a fifth of the expansion's CPU).
                for r in try Row.fetchAll(rows, arguments: [seq, limit - batch.count]) {
                    let row: Int64 = r[0], created: Int64 = r[10]
                    // Checked when it was staged; judged again at that time (an `expires_at`
                    // passed since makes a message that expires, as a queued one would).
                    var s = try Submission(channel: channel, recipient: Recipient(normalized: r[1]), checkedPayload: r[3],
                                           messageType: r[2], templateName: r[7], templateLanguage: r[8],
                                           idempotencyKey: Self.stagedKey(importID: importID, row: row), priority: Priority(rank: r[4]) ?? .normal,
                                           notBeforeMillis: r[5], expiresAtMillis: r[6], importID: importID, nowMillis: created)
                    s.templateCategory = r[9]
                    batch.append(s)
                    createdAt.append(created)
                    last = row
                    count += 1
                }
                if let last { taken.append((seq, last, count)) }
            }
            guard !batch.isEmpty else { return (0, 0) }
            let results = try Self.insert(batch, db: db, nowMillis: nowMillis, createdAtMillis: createdAt)
            for t in taken {
                try db.cachedStatement(sql: "DELETE FROM staged_rows WHERE seq = ? AND row <= ?").execute(arguments: [t.seq, t.lastRow])
                try db.cachedStatement(sql: "UPDATE staged_imports SET staged = staged - ?, expanded_through = max(expanded_through, ?) WHERE seq = ?")
                    .execute(arguments: [t.count, t.lastRow, t.seq])
            }
            let created = results.filter { if case .created = $0 { return true } else { return false } }.count
            return (created, results.count - created)
        }
    }

    /// The staged rows of an import (every channel), removed by its cancel: counted there
    /// as cancelled, and kept as a count for the import's states.
    static func cancelStaged(importID: String, db: Database) throws -> Int {
        var n = 0
        for imp in try Row.fetchAll(db.cachedStatement(sql: "SELECT seq, staged FROM staged_imports WHERE import_id = ? AND staged > 0"), arguments: [importID]) {
            let seq: Int64 = imp["seq"], staged: Int = imp["staged"]
            try db.cachedStatement(sql: "DELETE FROM staged_rows WHERE seq = ?").execute(arguments: [seq])
            try db.cachedStatement(sql: "UPDATE staged_imports SET staged = 0, cancelled = cancelled + ? WHERE seq = ?").execute(arguments: [staged, seq])
            n += staged
        }
        return n
    }

    /// An import's staged rows and its staged rows cancelled, over every channel; nil when
    /// nothing of it was ever staged.
    static func stagedTotals(importID: String, db: Database) throws -> (staged: Int, cancelled: Int)? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) AS n, coalesce(sum(staged), 0) AS staged, coalesce(sum(cancelled), 0) AS cancelled FROM staged_imports WHERE import_id = ?
            """), arguments: [importID]), row["n"] as Int > 0 else { return nil }
        return (row["staged"], row["cancelled"])
    }
}
