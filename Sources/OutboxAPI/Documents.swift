import OutboxCore

/// `202 {"id", "state"}` (or `200` with `"duplicate": true` for a known idempotency key).
public struct SubmitResponse: Codable, Sendable, Equatable {
    public var id: String
    public var state: MessageState
    public var duplicate: Bool?

    public init(id: String, state: MessageState, duplicate: Bool? = nil) {
        self.id = id
        self.state = state
        self.duplicate = duplicate
    }
}

/// The answer to `POST /v1/messages/batch`: one result per non-blank line.
public struct BatchResponse: Codable, Sendable, Equatable {
    public struct LineResult: Codable, Sendable, Equatable {
        public var line: Int
        public var id: String?
        public var duplicate: Bool?
        public var error: APIErrorBody.Detail?

        public init(line: Int, id: String? = nil, duplicate: Bool? = nil, error: APIErrorBody.Detail? = nil) {
            self.line = line
            self.id = id
            self.duplicate = duplicate
            self.error = error
        }
    }

    public var accepted: Int
    public var rejected: Int
    public var results: [LineResult]

    public init(accepted: Int, rejected: Int, results: [LineResult]) {
        self.accepted = accepted
        self.rejected = rejected
        self.results = results
    }
}

/// One request to the API in a message's timeline.
public struct AttemptDocument: Codable, Sendable, Equatable {
    public var at: String
    public var outcome: AttemptOutcome
    public var httpStatus: Int?
    public var errorCode: Int?
    public var errorTitle: String?
    public var errorDetails: String?
    public var latencyMs: Int64?
    /// Meta's `fbtrace_id` of the error: what Meta's and 360dialog's support ask for.
    public var fbtraceID: String?
    /// The 2xx's `message_status`: `accepted`, or `held_for_quality_assessment` (Meta holds
    /// the message for a quality check; it may still be dropped, with 132015).
    public var messageStatus: String?
    /// The 2xx's `contacts[0].wa_id`: the customer's WhatsApp id, which can differ from the
    /// number sent to (Brazil, Mexico).
    public var waID: String?

    enum CodingKeys: String, CodingKey {
        case at, outcome, httpStatus = "http_status", errorCode = "error_code", errorTitle = "error_title"
        case errorDetails = "error_details", latencyMs = "latency_ms", fbtraceID = "fbtrace_id", messageStatus = "message_status", waID = "wa_id"
    }

    public init(at: String, outcome: AttemptOutcome, httpStatus: Int?, errorCode: Int?, errorTitle: String?, errorDetails: String?, latencyMs: Int64?) {
        self.at = at
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.errorCode = errorCode
        self.errorTitle = errorTitle
        self.errorDetails = errorDetails
        self.latencyMs = latencyMs
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(at, forKey: .at)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(httpStatus, forKey: .httpStatus)
        try c.encode(errorCode, forKey: .errorCode)
        try c.encode(errorTitle, forKey: .errorTitle)
        try c.encode(errorDetails, forKey: .errorDetails)
        try c.encode(latencyMs, forKey: .latencyMs)
        try c.encode(fbtraceID, forKey: .fbtraceID)
        try c.encode(messageStatus, forKey: .messageStatus)
        try c.encode(waID, forKey: .waID)
    }
}

/// A status's `pricing`, as the timeline shows it.
public struct PricingDocument: Codable, Sendable, Equatable {
    public var billable: Bool?
    public var pricingModel: String?
    public var type: String?
    public var category: String?

    enum CodingKeys: String, CodingKey {
        case billable, type, category, pricingModel = "pricing_model"
    }

    public init(billable: Bool?, pricingModel: String?, type: String?, category: String?) {
        self.billable = billable
        self.pricingModel = pricingModel
        self.type = type
        self.category = category
    }
}

/// A status's `conversation`, as the timeline shows it.
public struct ConversationDocument: Codable, Sendable, Equatable {
    public var id: String?
    public var originType: String?

    enum CodingKeys: String, CodingKey {
        case id, originType = "origin_type"
    }

    public init(id: String?, originType: String?) {
        self.id = id
        self.originType = originType
    }
}

/// One status or decision in a message's timeline.
public struct EventDocument: Codable, Sendable, Equatable {
    public var at: String
    public var status: String
    public var detail: String?
    /// The status's `pricing` (what Meta charges), when it had one.
    public var pricing: PricingDocument?
    /// The status's `conversation`, when it had one.
    public var conversation: ConversationDocument?

    public init(at: String, status: String, detail: String?) {
        self.at = at
        self.status = status
        self.detail = detail
    }
}

/// `GET /v1/messages/{id}`: the message and its whole timeline. In lists, `attempts`,
/// `events` and `message` are left out.
public struct MessageDocument: Codable, Sendable, Equatable {
    public var id: String
    public var channel: String
    public var to: String
    public var type: String
    public var state: MessageState
    public var priority: Priority
    public var createdAt: String
    public var updatedAt: String
    public var wamid: String?
    public var lastError: String?
    public var idempotencyKey: String?
    public var importID: String?
    public var expiresAt: String?
    /// For queued messages: when it may leave; for an unknown outcome: when it is settled.
    public var dueAt: String?
    public var attemptCount: Int
    public var awaitingSettlement: Bool
    public var attempts: [AttemptDocument]?
    public var events: [EventDocument]?
    /// The `message` object as stored; absent once retention erased it.
    public var message: JSONValue?
    /// A queued message held past its own schedule: why, and until when (`due_at`).
    public var held: HeldDocument?

    enum CodingKeys: String, CodingKey {
        case id, channel, to, type, state, priority, createdAt = "created_at", updatedAt = "updated_at", wamid
        case lastError = "last_error", idempotencyKey = "idempotency_key", importID = "import_id", expiresAt = "expires_at"
        case dueAt = "due_at", attemptCount = "attempt_count", awaitingSettlement = "awaiting_settlement"
        case attempts, events, message, held
    }

    public init(id: String, channel: String, to: String, type: String, state: MessageState, priority: Priority,
                createdAt: String, updatedAt: String, wamid: String?, lastError: String?, idempotencyKey: String?,
                importID: String?, expiresAt: String?, dueAt: String?, attemptCount: Int, awaitingSettlement: Bool,
                attempts: [AttemptDocument]? = nil, events: [EventDocument]? = nil, message: JSONValue? = nil) {
        self.id = id
        self.channel = channel
        self.to = to
        self.type = type
        self.state = state
        self.priority = priority
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.wamid = wamid
        self.lastError = lastError
        self.idempotencyKey = idempotencyKey
        self.importID = importID
        self.expiresAt = expiresAt
        self.dueAt = dueAt
        self.attemptCount = attemptCount
        self.awaitingSettlement = awaitingSettlement
        self.attempts = attempts
        self.events = events
        self.message = message
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(channel, forKey: .channel)
        try c.encode(to, forKey: .to)
        try c.encode(type, forKey: .type)
        try c.encode(state, forKey: .state)
        try c.encode(priority, forKey: .priority)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(wamid, forKey: .wamid)
        try c.encode(lastError, forKey: .lastError)
        try c.encodeIfPresent(idempotencyKey, forKey: .idempotencyKey)
        try c.encodeIfPresent(importID, forKey: .importID)
        try c.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try c.encodeIfPresent(dueAt, forKey: .dueAt)
        try c.encode(attemptCount, forKey: .attemptCount)
        try c.encode(awaitingSettlement, forKey: .awaitingSettlement)
        try c.encodeIfPresent(attempts, forKey: .attempts)
        try c.encodeIfPresent(events, forKey: .events)
        try c.encodeIfPresent(message, forKey: .message)
        try c.encodeIfPresent(held, forKey: .held)
    }
}

/// `GET /v1/messages`: a page, newest first.
public struct ListPage: Codable, Sendable, Equatable {
    public var messages: [MessageDocument]
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey { case messages, nextCursor = "next_cursor" }

    public init(messages: [MessageDocument], nextCursor: String?) {
        self.messages = messages
        self.nextCursor = nextCursor
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(messages, forKey: .messages)
        try c.encode(nextCursor, forKey: .nextCursor)
    }
}

/// Why a queued message waits, and until when: a paused template (until its pause ends or it is
/// approved again), the recipient's marketing limit (131049).
public struct HeldDocument: Codable, Sendable, Equatable {
    public var reason: String
    public var until: String

    public init(reason: String, until: String) {
        self.reason = reason
        self.until = until
    }
}
