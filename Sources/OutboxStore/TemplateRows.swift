import OutboxCore

/// One template of a channel's catalog, as `templates list` shows it.
public struct TemplateRecord: Sendable, Equatable {
    public var channel: String
    public var spec: TemplateSpec
    /// The end of the pause in force, when there is one.
    public var pausedUntilMillis: Int64?
    public var updatedMillis: Int64

    public init(channel: String, spec: TemplateSpec, pausedUntilMillis: Int64?, updatedMillis: Int64) {
        (self.channel, self.spec, self.pausedUntilMillis, self.updatedMillis) = (channel, spec, pausedUntilMillis, updatedMillis)
    }
}

/// A channel's catalog in numbers, for `stats`.
public struct CatalogState: Sendable, Equatable {
    public var templates = 0
    /// Templates paused now (by the catalog's status, or a pause the daemon learned of).
    public var paused = 0
    public var syncedMillis: Int64?
    public var triedMillis: Int64?
    public var lastError: String?
    public init() {}
}

/// A customer on a channel's opt-out list.
public struct OptOutRecord: Sendable, Equatable {
    public var channel: String
    public var recipient: String
    public var atMillis: Int64
    /// `user_preferences`, `131050`, `keyword`, `payload`, `operator`.
    public var source: String
    public var detail: String?

    public init(channel: String, recipient: String, atMillis: Int64, source: String, detail: String?) {
        (self.channel, self.recipient, self.atMillis, self.source, self.detail) = (channel, recipient, atMillis, source, detail)
    }
}
