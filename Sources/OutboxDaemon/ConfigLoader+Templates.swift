import OutboxCore

extension ConfigLoader {
    /// `[templates]` (the catalog's sync) and `[marketing]` (opt-out words, the 131049 hold, the
    /// US rule). Words are bounded where they enter: at most 100 of each, 1 to 64 bytes.
    static func templatesAndMarketing(_ t: Table, _ m: Table) throws(ConfigError) -> (TemplateSyncSettings, MarketingSettings) {
        try t.allowKnown()
        try m.allowKnown()
        var sync = TemplateSyncSettings()
        sync.syncIntervalMillis = try t.duration("sync_interval") ?? sync.syncIntervalMillis
        if sync.syncIntervalMillis > 0, sync.syncIntervalMillis < 60_000 {
            throw t.error("sync_interval", "must be at least 1m (each sync spends the management API's hourly budget), or \"0s\" for no background sync")
        }
        sync.requestsPerHour = try t.int("requests_per_hour") ?? sync.requestsPerHour
        sync.pageSize = try t.int("page_size") ?? sync.pageSize
        sync.maxTemplates = try t.int("max_templates") ?? sync.maxTemplates
        var marketing = MarketingSettings()
        marketing.policy.limitHoldMillis = try m.duration("limit_hold") ?? marketing.policy.limitHoldMillis
        marketing.policy.refuseUSNumbers = try m.bool("refuse_us_numbers") ?? false
        func words(_ key: String) throws(ConfigError) -> [String] {
            let values = try m.array(key)
            guard values.count <= 100 else { throw m.error(key, "at most 100 entries") }
            return try values.enumerated().map { (i, v) throws(ConfigError) -> String in
                guard let w = v.stringValue, !w.trimmingCharacters(in: " ").isEmpty, w.utf8.count <= 64 else { throw m.error("\(key)[\(i)]", "must be a word of at least 1 and at most 64 bytes") }
                return w
            }
        }
        marketing.optOutWords = OptOutWords(keywords: try words("optout_keywords"), payloads: try words("optout_payloads"))
        return (sync, marketing)
    }
}

extension String {
    fileprivate func trimmingCharacters(in c: Character) -> Substring {
        var s = Substring(self)
        while s.first == c { s.removeFirst() }
        while s.last == c { s.removeLast() }
        return s
    }
}
