/// How long finished messages keep their body and their rows. Bodies (and the raw webhook
/// payloads, which carry customers' messages) hold the personal data, so they go first; a
/// message's metadata and audit trail (attempts, events) stay until its row goes.
///
/// Only finished messages are touched (sent, delivered, read, failed, expired, cancelled),
/// counted from their last change (`updated_at`): a queued or sending message keeps its body
/// however old it is, and a late status restarts the count.
public struct RetentionPolicy: Sendable, Equatable {
    public static let day: Int64 = 86_400_000

    /// A finished message's body, and a processed webhook payload, is erased this long after
    /// its last change; nil keeps bodies until their row is deleted.
    public var eraseBodiesAfterMillis: Int64? = 30 * day
    /// A finished message with its attempts and events, and a processed webhook payload, is
    /// deleted this long after its last change; nil keeps rows forever.
    public var deleteAfterMillis: Int64? = 180 * day
    /// Time between two passes.
    public var intervalMillis: Int64 = 300_000
    /// Rows per transaction: small enough that a send never waits long for the writer.
    public var batchSize = 1_000

    public init() {}

    /// Retention that keeps everything forever.
    public static let off: RetentionPolicy = {
        var p = RetentionPolicy()
        p.eraseBodiesAfterMillis = nil
        p.deleteAfterMillis = nil
        return p
    }()

    public var isOff: Bool { eraseBodiesAfterMillis == nil && deleteAfterMillis == nil }

    /// The cutoffs of a pass at `nowMillis`: finished rows last changed before them qualify.
    public func cutoffs(nowMillis: Int64) -> (erase: Int64?, delete: Int64?) {
        (eraseBodiesAfterMillis.map { nowMillis - $0 }, deleteAfterMillis.map { nowMillis - $0 })
    }
}

/// What one retention pass did.
public struct RetentionPass: Codable, Sendable, Equatable {
    /// When the pass started (milliseconds since 1970).
    public var startedMillis: Int64
    public var durationMillis: Int64
    /// Messages whose body was erased.
    public var bodiesErased: Int
    /// Messages deleted, with their attempts and events.
    public var messagesDeleted: Int
    /// Processed webhook payloads erased, and deleted.
    public var payloadsErased: Int
    public var payloadsDeleted: Int
    /// Event log rows deleted, and inbound events whose message content was erased (nil in
    /// passes recorded before the event log existed).
    public var eventsDeleted: Int?
    public var eventsErased: Int?
    /// The policy the pass applied (nil: off).
    public var eraseBodiesAfterMillis: Int64?
    public var deleteAfterMillis: Int64?

    enum CodingKeys: String, CodingKey {
        case startedMillis = "started_ms", durationMillis = "duration_ms", bodiesErased = "bodies_erased"
        case messagesDeleted = "messages_deleted", payloadsErased = "payloads_erased", payloadsDeleted = "payloads_deleted"
        case eraseBodiesAfterMillis = "erase_bodies_after_ms", deleteAfterMillis = "delete_after_ms"
        case eventsDeleted = "events_deleted", eventsErased = "events_erased"
    }

    public init(startedMillis: Int64, durationMillis: Int64 = 0, bodiesErased: Int = 0, messagesDeleted: Int = 0,
                payloadsErased: Int = 0, payloadsDeleted: Int = 0) {
        self.startedMillis = startedMillis
        self.durationMillis = durationMillis
        self.bodiesErased = bodiesErased
        self.messagesDeleted = messagesDeleted
        self.payloadsErased = payloadsErased
        self.payloadsDeleted = payloadsDeleted
    }
}
