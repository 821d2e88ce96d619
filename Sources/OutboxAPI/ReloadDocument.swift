/// `POST /v1/reload`: what a reload of the config file changed. Never holds a key: a rotated
/// key shows as `api_key` among the channel's changed settings.
public struct ReloadDocument: Codable, Sendable, Equatable {
    /// The config file that was read.
    public var config: String
    /// Channels that started sending.
    public var added: [String]
    /// Channels that stopped; their queued messages wait in the database for their return.
    public var removed: [String]
    /// Per channel kept, the config keys whose new value is in force (e.g. `messages_per_second`).
    public var updated: [String: [String]]
    /// Global keys whose new value is in force (e.g. `webhook.basic_auth_file`).
    public var applied: [String]
    /// Keys whose new value waits for a restart; the old value stays in force.
    public var needsRestart: [String]
    /// Paused channels that resumed because their API key changed.
    public var resumed: [String]

    /// Whether anything in force changed.
    public var changed: Bool { !added.isEmpty || !removed.isEmpty || !updated.isEmpty || !applied.isEmpty }

    enum CodingKeys: String, CodingKey {
        case config, added, removed, updated, applied, needsRestart = "needs_restart", resumed, changed
    }

    public init(config: String, added: [String] = [], removed: [String] = [], updated: [String: [String]] = [:], applied: [String] = [],
                needsRestart: [String] = [], resumed: [String] = []) {
        self.config = config
        self.added = added
        self.removed = removed
        self.updated = updated
        self.applied = applied
        self.needsRestart = needsRestart
        self.resumed = resumed
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        config = try c.decode(String.self, forKey: .config)
        added = try c.decode([String].self, forKey: .added)
        removed = try c.decode([String].self, forKey: .removed)
        updated = try c.decode([String: [String]].self, forKey: .updated)
        applied = try c.decode([String].self, forKey: .applied)
        needsRestart = try c.decode([String].self, forKey: .needsRestart)
        resumed = try c.decode([String].self, forKey: .resumed)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(config, forKey: .config)
        try c.encode(changed, forKey: .changed)
        try c.encode(added, forKey: .added)
        try c.encode(removed, forKey: .removed)
        try c.encode(updated, forKey: .updated)
        try c.encode(applied, forKey: .applied)
        try c.encode(needsRestart, forKey: .needsRestart)
        try c.encode(resumed, forKey: .resumed)
    }
}
