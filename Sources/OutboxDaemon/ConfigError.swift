/// A configuration that cannot be used, naming the key at fault and what to do.
public enum ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case syntax(path: String, line: Int, column: Int, reason: String)
    /// `key` is the dotted path, e.g. `channels[1].messages_per_second`.
    case invalid(key: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read the config \(path): \(reason)"
        case .syntax(let path, let line, let column, let reason): "\(path):\(line):\(column): TOML syntax error: \(reason)"
        case .invalid(let key, let reason): "config key '\(key)': \(reason)"
        }
    }
}
