/// `GET /v1/templates`: each channel's synced templates.
public struct TemplatesDocument: Codable, Sendable, Equatable {
    public var templates: [TemplateDocument]
    public init(templates: [TemplateDocument]) { self.templates = templates }
}

/// One template of a channel's catalog, and the parameters it needs.
public struct TemplateDocument: Codable, Sendable, Equatable {
    public struct Header: Codable, Sendable, Equatable {
        public var format: String
        public var parameters: Int
        public init(format: String, parameters: Int) { (self.format, self.parameters) = (format, parameters) }
    }

    public struct Button: Codable, Sendable, Equatable {
        public var type: String
        public var parameters: Int
        public init(type: String, parameters: Int) { (self.type, self.parameters) = (type, parameters) }
    }

    public var channel: String
    public var name: String
    public var language: String
    public var category: String
    public var status: String
    public var quality: String?
    public var header: Header?
    /// Positional body parameters; 0 for a named template.
    public var bodyParameters: Int
    /// Named body parameters; empty for a positional template.
    public var bodyNames: [String]
    public var buttons: [Button]
    /// The parameters in one line: `header:image body:2 button0:url(1)`.
    public var parameters: String
    /// The end of a pause in force.
    public var pausedUntil: String?

    public init(channel: String, name: String, language: String, category: String, status: String, quality: String?, header: Header?,
                bodyParameters: Int, bodyNames: [String], buttons: [Button], parameters: String, pausedUntil: String?) {
        self.channel = channel
        self.name = name
        self.language = language
        self.category = category
        self.status = status
        self.quality = quality
        self.header = header
        self.bodyParameters = bodyParameters
        self.bodyNames = bodyNames
        self.buttons = buttons
        self.parameters = parameters
        self.pausedUntil = pausedUntil
    }

    enum CodingKeys: String, CodingKey {
        case channel, name, language, category, status, quality, header, bodyParameters = "body_parameters", bodyNames = "body_names", buttons, parameters
        case pausedUntil = "paused_until"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(channel, forKey: .channel)
        try c.encode(name, forKey: .name)
        try c.encode(language, forKey: .language)
        try c.encode(category, forKey: .category)
        try c.encode(status, forKey: .status)
        try c.encode(quality, forKey: .quality)
        try c.encode(header, forKey: .header)
        try c.encode(bodyParameters, forKey: .bodyParameters)
        try c.encode(bodyNames, forKey: .bodyNames)
        try c.encode(buttons, forKey: .buttons)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(pausedUntil, forKey: .pausedUntil)
    }
}

/// `POST /v1/templates/sync`: what each channel's sync came to.
public struct TemplateSyncDocument: Codable, Sendable, Equatable {
    public struct Result: Codable, Sendable, Equatable {
        public var channel: String
        public var ok: Bool
        public var templates: Int
        /// Templates whose status changed since the last sync.
        public var changed: Int
        /// Template-list requests this sync made.
        public var requests: Int
        public var syncedAt: String?
        public var error: String?

        public init(channel: String, ok: Bool, templates: Int, changed: Int, requests: Int, syncedAt: String?, error: String?) {
            self.channel = channel
            self.ok = ok
            self.templates = templates
            self.changed = changed
            self.requests = requests
            self.syncedAt = syncedAt
            self.error = error
        }

        enum CodingKeys: String, CodingKey { case channel, ok, templates, changed, requests, syncedAt = "synced_at", error }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(channel, forKey: .channel)
            try c.encode(ok, forKey: .ok)
            try c.encode(templates, forKey: .templates)
            try c.encode(changed, forKey: .changed)
            try c.encode(requests, forKey: .requests)
            try c.encode(syncedAt, forKey: .syncedAt)
            try c.encode(error, forKey: .error)
        }
    }

    public var channels: [Result]
    public init(channels: [Result]) { self.channels = channels }
}

/// `GET /v1/optouts`: customers who stopped marketing messages, newest first.
public struct OptOutsDocument: Codable, Sendable, Equatable {
    public var optouts: [OptOutDocument]
    public init(optouts: [OptOutDocument]) { self.optouts = optouts }
}

/// One customer on a channel's opt-out list; `POST`/`DELETE /v1/optouts` answer it too, with `changed`.
public struct OptOutDocument: Codable, Sendable, Equatable {
    public var channel: String
    public var to: String
    public var at: String?
    /// `user_preferences`, `131050`, `keyword`, `payload`, `operator`.
    public var source: String?
    public var detail: String?
    /// In answers to add and remove: whether the list changed.
    public var changed: Bool?

    public init(channel: String, to: String, at: String?, source: String?, detail: String?, changed: Bool? = nil) {
        self.channel = channel
        self.to = to
        self.at = at
        self.source = source
        self.detail = detail
        self.changed = changed
    }
}
