import OutboxCore

/// What retention keeps and what its last pass did (`GET /v1/channels`).
public struct RetentionStatus: Codable, Sendable, Equatable {
    /// Finished messages' bodies are erased this long after their last change ("30d"); nil: kept.
    public var eraseBodiesAfter: String?
    /// Finished messages are deleted this long after their last change ("180d"); nil: kept forever.
    public var deleteAfter: String?
    public var lastPassAt: String
    public var lastPassMillis: Int64
    public var bodiesErased: Int
    public var messagesDeleted: Int
    public var payloadsErased: Int
    public var payloadsDeleted: Int

    enum CodingKeys: String, CodingKey {
        case eraseBodiesAfter = "erase_bodies_after", deleteAfter = "delete_after", lastPassAt = "last_pass_at"
        case lastPassMillis = "last_pass_ms", bodiesErased = "bodies_erased", messagesDeleted = "messages_deleted"
        case payloadsErased = "payloads_erased", payloadsDeleted = "payloads_deleted"
    }

    public init(_ pass: RetentionPass) {
        eraseBodiesAfter = pass.eraseBodiesAfterMillis.map { DurationText.format(milliseconds: $0) }
        deleteAfter = pass.deleteAfterMillis.map { DurationText.format(milliseconds: $0) }
        lastPassAt = RFC3339.format(millis: pass.startedMillis)
        lastPassMillis = pass.durationMillis
        bodiesErased = pass.bodiesErased
        messagesDeleted = pass.messagesDeleted
        payloadsErased = pass.payloadsErased
        payloadsDeleted = pass.payloadsDeleted
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(eraseBodiesAfter, forKey: .eraseBodiesAfter)
        try c.encode(deleteAfter, forKey: .deleteAfter)
        try c.encode(lastPassAt, forKey: .lastPassAt)
        try c.encode(lastPassMillis, forKey: .lastPassMillis)
        try c.encode(bodiesErased, forKey: .bodiesErased)
        try c.encode(messagesDeleted, forKey: .messagesDeleted)
        try c.encode(payloadsErased, forKey: .payloadsErased)
        try c.encode(payloadsDeleted, forKey: .payloadsDeleted)
    }
}
