/// `GET /v1/subscribers`: each `[[subscribers]]` entry's progress through the event log.
public struct SubscribersDocument: Codable, Sendable, Equatable {
    /// One subscriber.
    public struct Subscriber: Codable, Sendable, Equatable {
        public var name: String
        public var url: String
        /// The last event it acknowledged; delivery continues after it.
        public var cursor: String
        /// The newest event in the log.
        public var newestCursor: String
        /// Events after `cursor` that it is to receive (counted up to 1,000,000).
        public var lag: Int
        /// How long the oldest of those has waited, in seconds (0 without lag).
        public var lagSeconds: Double
        /// Failing for longer than its give-up age, and not answered since.
        public var failing: Bool
        public var failingSince: String?
        public var lastError: String?
        public var lastErrorAt: String?
        public var lastSuccessAt: String?
        /// Consecutive failed POSTs.
        public var failures: Int
        public var types: [String]
        public var channels: [String]?

        enum CodingKeys: String, CodingKey {
            case name, url, cursor, lag, failing, failures, types, channels
            case newestCursor = "newest_cursor", lagSeconds = "lag_seconds", failingSince = "failing_since"
            case lastError = "last_error", lastErrorAt = "last_error_at", lastSuccessAt = "last_success_at"
        }

        public init(name: String, url: String, cursor: String, newestCursor: String, lag: Int, lagSeconds: Double, failing: Bool,
                    failingSince: String?, lastError: String?, lastErrorAt: String?, lastSuccessAt: String?, failures: Int,
                    types: [String], channels: [String]?) {
            self.name = name
            self.url = url
            self.cursor = cursor
            self.newestCursor = newestCursor
            self.lag = lag
            self.lagSeconds = lagSeconds
            self.failing = failing
            self.failingSince = failingSince
            self.lastError = lastError
            self.lastErrorAt = lastErrorAt
            self.lastSuccessAt = lastSuccessAt
            self.failures = failures
            self.types = types
            self.channels = channels
        }
    }

    public var subscribers: [Subscriber]

    public init(subscribers: [Subscriber]) { self.subscribers = subscribers }
}

/// `POST /v1/subscribers/{name}/replay`: delivery starts again after `cursor`.
public struct ReplayDocument: Codable, Sendable, Equatable {
    public var name: String
    public var cursor: String

    public init(name: String, cursor: String) {
        self.name = name
        self.cursor = cursor
    }
}
