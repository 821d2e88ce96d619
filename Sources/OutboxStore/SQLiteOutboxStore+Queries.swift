import GRDB
import OutboxCore

/// One message as `status` and `list` show it.
public struct MessageRecord: Sendable, Equatable {
    public var id: Int64
    public var channel: String
    public var recipient: String
    public var type: String
    public var state: MessageState
    public var priority: Priority
    public var createdMillis: Int64
    public var updatedMillis: Int64
    public var dueMillis: Int64
    public var expiresMillis: Int64?
    public var wamid: String?
    public var lastError: String?
    public var importID: String?
    public var idempotencyKey: String?
    public var attemptCount: Int
    public var awaitingSettlement: Bool
    /// The stored `message` object; nil in lists, and once retention erased it.
    public var payload: String?
    /// Why a queued message waits past its own schedule (a paused template, the recipient's
    /// marketing limit); `dueMillis` is when the hold ends.
    public var heldReason: String?

    public init(id: Int64, channel: String, recipient: String, type: String, state: MessageState, priority: Priority, createdMillis: Int64,
                updatedMillis: Int64, dueMillis: Int64, expiresMillis: Int64?, wamid: String?, lastError: String?, importID: String?,
                idempotencyKey: String?, attemptCount: Int, awaitingSettlement: Bool, payload: String?) {
        (self.id, self.channel, self.recipient, self.type, self.state, self.priority) = (id, channel, recipient, type, state, priority)
        (self.createdMillis, self.updatedMillis, self.dueMillis, self.expiresMillis) = (createdMillis, updatedMillis, dueMillis, expiresMillis)
        (self.wamid, self.lastError, self.importID, self.idempotencyKey) = (wamid, lastError, importID, idempotencyKey)
        (self.attemptCount, self.awaitingSettlement, self.payload) = (attemptCount, awaitingSettlement, payload)
    }

    init(row: Row, withPayload: Bool) {
        id = row["id"]
        channel = row["channel"]
        recipient = row["recipient"]
        type = row["type"]
        state = MessageState(rawValue: row["state"]) ?? .failed
        priority = Priority(rank: row["priority"]) ?? .normal
        createdMillis = row["created_at"]
        updatedMillis = row["updated_at"]
        dueMillis = row["due_at"]
        expiresMillis = row["expires_at"]
        wamid = row["wamid"]
        lastError = row["last_error"]
        importID = row["import_id"]
        idempotencyKey = row["idempotency_key"]
        attemptCount = row["attempts"]
        awaitingSettlement = (row["awaiting_settlement"] as Int) != 0
        payload = withPayload ? row["payload"] : nil
        heldReason = state == .queued ? row["held_reason"] : nil
    }
}

/// One row of a message's audit trail.
public struct AttemptRow: Sendable, Equatable {
    public var atMillis: Int64
    public var outcome: AttemptOutcome
    public var httpStatus: Int?
    public var errorCode: Int?
    public var errorTitle: String?
    public var errorDetails: String?
    public var latencyMillis: Int64?
    /// Meta's `fbtrace_id` of the error, for support.
    public var traceID: String?
    /// The 2xx's `message_status`, e.g. `held_for_quality_assessment`.
    public var messageStatus: String?
    /// The 2xx's `contacts[0].wa_id`.
    public var waID: String?

    public init(atMillis: Int64, outcome: AttemptOutcome, httpStatus: Int?, errorCode: Int?, errorTitle: String?, errorDetails: String?,
                latencyMillis: Int64?, traceID: String?, messageStatus: String?, waID: String?) {
        (self.atMillis, self.outcome, self.httpStatus, self.errorCode, self.errorTitle) = (atMillis, outcome, httpStatus, errorCode, errorTitle)
        (self.errorDetails, self.latencyMillis, self.traceID, self.messageStatus, self.waID) = (errorDetails, latencyMillis, traceID, messageStatus, waID)
    }
}

/// One event of a message's timeline: a status from the API, or a decision of the daemon.
public struct EventRow: Sendable, Equatable {
    public var atMillis: Int64
    public var status: String
    public var detail: String?
    public var pricing: Pricing?
    public var conversation: Conversation?

    public init(atMillis: Int64, status: String, detail: String?, pricing: Pricing?, conversation: Conversation?) {
        (self.atMillis, self.status, self.detail, self.pricing, self.conversation) = (atMillis, status, detail, pricing, conversation)
    }
}

/// A message with its whole timeline.
public struct MessageTimeline: Sendable, Equatable {
    public var message: MessageRecord
    public var attempts: [AttemptRow]
    public var events: [EventRow]

    public init(message: MessageRecord, attempts: [AttemptRow], events: [EventRow]) {
        (self.message, self.attempts, self.events) = (message, attempts, events)
    }
}

/// Which messages `list` returns.
public struct MessageFilter: Sendable, Equatable {
    public var state: MessageState?
    public var channel: String?
    public var recipient: String?
    public var importID: String?
    /// Only ids below this one (the cursor of the previous page).
    public var beforeID: Int64?
    public var limit: Int = 50

    public init(state: MessageState? = nil, channel: String? = nil, recipient: String? = nil, importID: String? = nil, beforeID: Int64? = nil, limit: Int = 50) {
        self.state = state
        self.channel = channel
        self.recipient = recipient
        self.importID = importID
        self.beforeID = beforeID
        self.limit = limit
    }
}

extension SQLiteOutboxStore {
    static let columns = """
        id, channel, recipient, type, state, priority, created_at, updated_at, due_at, expires_at, wamid,
        last_error, import_id, idempotency_key, attempts, awaiting_settlement, held_reason
        """

    /// One message and its timeline, or nil.
    public func timeline(id: Int64) async throws(StoreError) -> MessageTimeline? {
        try await read { db in try Self.timeline(db, where: "id = ?", id) }
    }

    /// The message that got this wamid, with its timeline, or nil.
    public func timeline(wamid: String) async throws(StoreError) -> MessageTimeline? {
        try await read { db in try Self.timeline(db, where: "wamid = ?", wamid) }
    }

    static func timeline(_ db: Database, where clause: String, _ value: some DatabaseValueConvertible & Sendable) throws -> MessageTimeline? {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(columns), payload FROM messages WHERE \(clause) LIMIT 1", arguments: [value]) else { return nil }
        let message = MessageRecord(row: row, withPayload: true)
        let attempts = try Row.fetchAll(db, sql: """
            SELECT at, outcome, http_status, error_code, error_title, error_details, latency_ms, fbtrace_id, message_status, wa_id
            FROM attempts WHERE message_id = ? ORDER BY id
            """, arguments: [message.id]).map { r in
            AttemptRow(atMillis: r["at"], outcome: AttemptOutcome(rawValue: r["outcome"]) ?? .unknownOutcome, httpStatus: r["http_status"],
                       errorCode: r["error_code"], errorTitle: r["error_title"], errorDetails: r["error_details"], latencyMillis: r["latency_ms"],
                       traceID: r["fbtrace_id"], messageStatus: r["message_status"], waID: r["wa_id"])
        }
        let events = try Row.fetchAll(db, sql: """
            SELECT at, status, detail, billable, pricing_model, pricing_type, pricing_category, conversation_id, conversation_origin
            FROM events WHERE message_id = ? ORDER BY at, id
            """, arguments: [message.id]).map { r in
            let category: String? = r["pricing_category"], model: String? = r["pricing_model"], billable: Int? = r["billable"]
            let conversation: String? = r["conversation_id"], origin: String? = r["conversation_origin"]
            let priced = category != nil || model != nil || billable != nil
            let talked = conversation != nil || origin != nil
            return EventRow(atMillis: r["at"], status: r["status"], detail: r["detail"],
                            pricing: priced ? Pricing(billable: billable.map { $0 != 0 }, model: model, type: r["pricing_type"], category: category) : nil,
                            conversation: talked ? Conversation(id: conversation, originType: origin, expiresMillis: nil) : nil)
        }
        return MessageTimeline(message: message, attempts: attempts, events: events)
    }

    /// Messages matching `filter`, newest first, and whether more follow.
    public func list(_ filter: MessageFilter) async throws(StoreError) -> (messages: [MessageRecord], more: Bool) {
        try await read { db in
            var conditions: [String] = []
            var args: [any DatabaseValueConvertible & Sendable] = []
            if let s = filter.state {
                conditions.append("state = ?")
                args.append(s.rawValue)
                // Spelled as in the partial index `messages_unsent` (migration 0006), so SQLite uses it.
                if [.failed, .expired, .cancelled].contains(s) { conditions.append("(state = 'failed' OR state = 'expired' OR state = 'cancelled')") }
            }
            if let c = filter.channel { conditions.append("channel = ?"); args.append(c) }
            if let r = filter.recipient { conditions.append("recipient = ?"); args.append(r) }
            if let i = filter.importID { conditions.append("import_id = ?"); args.append(i) }
            if let b = filter.beforeID { conditions.append("id < ?"); args.append(b) }
            let whereSQL = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            args.append(filter.limit + 1)
            let rows = try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM messages \(whereSQL) ORDER BY id DESC LIMIT ?",
                                        arguments: StatementArguments(args))
            let messages = rows.prefix(filter.limit).map { MessageRecord(row: $0, withPayload: false) }
            return (Array(messages), rows.count > filter.limit)
        }
    }
}
