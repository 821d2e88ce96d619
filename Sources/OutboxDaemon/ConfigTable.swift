import OutboxCore

extension ConfigLoader {
    /// One TOML table being read, with its dotted path for error messages.
    struct Table {
        let values: [String: JSONValue]
        let path: String

        init(_ value: JSONValue?, path: String) throws(ConfigError) {
            self.path = path
            switch value {
            case nil: values = [:]
            case .object(let o)?: values = o
            case let other?: throw ConfigError.invalid(key: path, reason: "must be a table, not \(other.typeName)")
            }
        }

        func key(_ k: String) -> String { path.isEmpty ? k : "\(path).\(k)" }
        /// The section in `ConfigKeys`: the path without array indices (`channels[2]` → `channels`).
        var section: String { path.split(separator: "[").first.map(String.init) ?? "" }

        /// Refuses keys `ConfigKeys` does not list for this section.
        func allowKnown() throws(ConfigError) { try allow(ConfigKeys.names(in: section)) }
        func error(_ k: String, _ reason: String) -> ConfigError { .invalid(key: key(k), reason: reason) }

        /// Refuses keys this table does not know, so a typo is an error.
        func allow(_ known: Set<String>) throws(ConfigError) {
            if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
                throw error(unknown, "unknown key; known keys here: \(known.sorted().joined(separator: ", "))")
            }
        }

        func table(_ k: String) throws(ConfigError) -> Table { try Table(values[k], path: key(k)) }

        func array(_ k: String) throws(ConfigError) -> [JSONValue] {
            guard let v = values[k] else { return [] }
            guard let a = v.arrayValue else { throw error(k, "must be an array of tables ([[\(k)]])") }
            return a
        }

        func string(_ k: String, oneOf allowed: [String]? = nil) throws(ConfigError) -> String? {
            guard let v = values[k] else { return nil }
            guard let s = v.stringValue else { throw error(k, "must be a string, not \(v.typeName)") }
            if let allowed, !allowed.contains(s) {
                throw error(k, "'\(s)' is not one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))")
            }
            return s
        }

        /// A whole number within the key's range in `ConfigKeys`.
        func int(_ k: String) throws(ConfigError) -> Int? {
            guard let v = values[k] else { return nil }
            guard case .int(let i) = v else { throw error(k, "must be a whole number, not \(v.typeName)") }
            if let range = ConfigKeys.key(section, k)?.range, !range.contains(i) {
                throw error(k, "\(i) is out of range: must be \(range.lowerBound) to \(range.upperBound)")
            }
            return Int(i)
        }

        func bool(_ k: String) throws(ConfigError) -> Bool? {
            guard let v = values[k] else { return nil }
            guard case .bool(let b) = v else { throw error(k, "must be true or false") }
            return b
        }

        /// A duration such as "500ms", "30s", "5m", "24h", within the key's range in `ConfigKeys`
        /// (so no duration can overflow the arithmetic it later takes part in).
        func duration(_ k: String) throws(ConfigError) -> Int64? {
            guard let ms = try rawDuration(k) else { return nil }
            if let range = ConfigKeys.key(section, k)?.range, !range.contains(ms) {
                let low = DurationText.format(milliseconds: range.lowerBound), high = DurationText.format(milliseconds: range.upperBound)
                throw error(k, ms < range.lowerBound ? "must be at least \(low) (range \(low) to \(high))" : "must be at most \(high) (range \(low) to \(high))")
            }
            return ms
        }

        /// A duration without the range check.
        func rawDuration(_ k: String) throws(ConfigError) -> Int64? {
            guard let s = try string(k) else { return nil }
            guard let ms = DurationText.milliseconds(s) else {
                throw error(k, "'\(s)' is not a duration; write a number and a unit: \"500ms\", \"30s\", \"5m\", \"24h\"")
            }
            return ms
        }
    }
}
