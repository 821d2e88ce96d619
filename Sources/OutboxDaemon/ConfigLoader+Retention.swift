import OutboxCore

extension ConfigLoader {
    /// `[retention]`: `erase_bodies_after` and `delete_after` are durations counted from a
    /// finished message's last change, or `"off"`; absent keys keep the defaults (30d, 180d).
    static func retention(_ t: Table) throws(ConfigError) -> RetentionPolicy {
        try t.allowKnown()
        var policy = RetentionPolicy()
        if t.values["erase_bodies_after"] != nil { policy.eraseBodiesAfterMillis = try age(t, "erase_bodies_after") }
        if t.values["delete_after"] != nil { policy.deleteAfterMillis = try age(t, "delete_after") }
        policy.intervalMillis = try t.duration("interval") ?? policy.intervalMillis
        policy.batchSize = try t.int("batch_size") ?? policy.batchSize
        return policy
    }

    /// A retention age: `"off"` (nil), or a duration of at least one hour, so a typo such as
    /// "30s" for "30d" is not silently taken.
    private static func age(_ t: Table, _ key: String) throws(ConfigError) -> Int64? {
        switch try t.string(key) {
        case "off": return nil
        case "0", "never": throw t.error(key, "write \"off\" to keep forever, or a duration such as \"30d\"")
        default: break
        }
        guard let ms = try t.rawDuration(key) else { return nil }
        guard ms >= 3_600_000 else {
            throw t.error(key, "must be at least 1h, or \"off\" to keep forever; write days as \"30d\"")
        }
        return try t.duration(key)
    }
}
