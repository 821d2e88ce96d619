import Foundation

/// Where the outbox lives: a SQLite file (the embedded default) or a PostgreSQL database that
/// several daemons may share. `[daemon] database` is one or the other.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresURL)

    /// A `postgresql://` or `postgres://` URL is PostgreSQL; anything else is a file path.
    public init(_ text: String) throws(PostgresURL.ParseError) {
        self = PostgresURL.looksLikeURL(text) ? .postgres(try PostgresURL(parsing: text)) : .sqlite(path: text)
    }

    /// Safe for logs: a password never appears.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let url): url.description
        }
    }
}

/// A PostgreSQL connection in libpq's URL form,
/// `postgresql://[USER[:PASSWORD]@][HOST][:PORT][/DBNAME][?host=/socket/dir&...]`.
/// Its `description` hides the password, and no error quotes the URL, so a password never
/// reaches a log, an error or `stats`.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var user: String
    /// Redacted in every description, dump and mirror.
    public var password: Redacted?
    /// A TCP host; nil with a Unix socket.
    public var host: String?
    /// The folder of the server's Unix socket (`?host=/dir`, or no host at all: libpq's default).
    public var socketDirectory: String?
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    public var applicationName: String?
    public var connectTimeoutSeconds: Int?
    /// Server settings from `options=-c name=value ...` (libpq's form), sent at connection
    /// start; `search_path` also names the schema the store creates and uses.
    public var settings: [Setting] = []

    public struct Setting: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) { (self.name, self.value) = (name, value) }
    }

    /// The first schema of a `search_path` setting, if any.
    public var schema: String? {
        settings.last { $0.name == "search_path" }.flatMap { $0.value.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    /// `sslmode` as far as this client tells them apart.
    public enum SSLMode: String, Sendable {
        case disable, allow, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full"
    }

    /// Debian's socket folder: where libpq looks when the URL names no host.
    public static let defaultSocketDirectory = "/var/run/postgresql"

    /// Why a URL was refused; never quotes the URL (it may hold a password).
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { "invalid PostgreSQL URL: \(reason)" }
    }

    public static func looksLikeURL(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    public init(parsing text: String) throws(ParseError) {
        func fail(_ reason: String) -> ParseError { ParseError(reason: reason) }
        func decode(_ s: Substring, _ what: String) throws(ParseError) -> String {
            guard let d = String(s).removingPercentEncoding else { throw fail("bad percent-encoding in the \(what)") }
            return d
        }
        guard let scheme = text.range(of: "://"), Self.looksLikeURL(text) else { throw fail("it must start with postgresql://") }
        var rest = text[scheme.upperBound...]
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let info = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = info.firstIndex(of: ":") {
                user = try decode(info[..<colon], "user")
                password = try decode(info[info.index(after: colon)...], "password")
            } else {
                user = try decode(info, "user")
            }
        }
        var host: String?
        var port = 5432
        if !rest.isEmpty {
            var hostPart = rest
            if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                hostPart = rest[rest.index(after: rest.startIndex)..<close]
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix(":") { port = try Self.port(after.dropFirst()) } else if !after.isEmpty { throw fail("unexpected text after the host") }
            } else if let colon = rest.lastIndex(of: ":") {
                hostPart = rest[..<colon]
                port = try Self.port(rest[rest.index(after: colon)...])
            }
            if !hostPart.isEmpty { host = try decode(hostPart, "host") }
        }
        var database = path.isEmpty ? nil : try decode(path, "database name")
        var socketDirectory: String?
        var sslMode = SSLMode.prefer
        var applicationName: String?
        var connectTimeout: Int?
        var settings: [Setting] = []
        for pair in query.split(separator: "&") where !pair.isEmpty {
            guard let eq = pair.firstIndex(of: "=") else { throw fail("query parameter without a value") }
            let key = String(pair[..<eq])
            let value = try decode(pair[pair.index(after: eq)...], "parameter \(key)")
            switch key {
            case "host": host = value
            case "port": port = try Self.port(Substring(value))
            case "user": user = value
            case "password": password = value
            case "dbname": database = value
            case "sslmode":
                guard let m = SSLMode(rawValue: value) else { throw fail("sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full") }
                sslMode = m
            case "application_name": applicationName = value
            case "connect_timeout":
                guard let s = Int(value), s >= 0, s <= 3_600 else { throw fail("connect_timeout must be seconds from 0 to 3600") }
                connectTimeout = s
            case "options": settings = try Self.settings(value)
            default: throw fail("unknown query parameter '\(key)' (known: host, port, user, password, dbname, sslmode, application_name, connect_timeout, options)")
            }
        }
        // libpq: a host that starts with a slash is a socket folder; no host at all is the default folder.
        if let h = host, h.hasPrefix("/") {
            socketDirectory = h
            host = nil
        } else if host == nil {
            socketDirectory = Self.defaultSocketDirectory
        }
        guard let user = user ?? ProcessInfo.processInfo.environment["USER"], !user.isEmpty else {
            throw fail("it names no user (postgresql://USER@...)")
        }
        self.user = user
        self.password = password.map(Redacted.init)
        self.host = host
        self.socketDirectory = socketDirectory
        self.port = port
        self.database = database ?? user
        self.sslMode = sslMode
        self.applicationName = applicationName
        self.connectTimeoutSeconds = connectTimeout
        self.settings = settings
    }

    /// `-c name=value -c other=value` (or `--name=value`), as libpq's `options` takes them.
    private static func settings(_ text: String) throws(ParseError) -> [Setting] {
        var out: [Setting] = []
        var words = text.split(separator: " ").map(String.init)[...]
        while let w = words.popFirst() {
            var pair: String
            if w == "-c", let next = words.popFirst() { pair = next } else if w.hasPrefix("-c") { pair = String(w.dropFirst(2)) } else if w.hasPrefix("--") { pair = String(w.dropFirst(2)) } else {
                throw ParseError(reason: "options takes -c name=value settings")
            }
            pair = pair.replacingOccurrences(of: "-", with: "_")
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex,
                  pair[..<eq].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else {
                throw ParseError(reason: "options takes -c name=value settings")
            }
            out.append(Setting(name: String(pair[..<eq]), value: String(pair[pair.index(after: eq)...])))
        }
        return out
    }

    private static func port(_ s: Substring) throws(ParseError) -> Int {
        guard let p = Int(s), (1...65_535).contains(p) else { throw ParseError(reason: "the port must be a number from 1 to 65535") }
        return p
    }

    /// The socket file the server listens on (libpq's naming), with a socket folder.
    public var socketPath: String? { socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } }

    public var debugDescription: String { description }

    /// The URL with the password replaced by `***`: for logs, errors and `stats`.
    public var description: String {
        let auth = password == nil ? user : "\(user):***"
        let place = host.map { ($0.contains(":") ? "[\($0)]" : $0) + ":\(port)" } ?? ""
        var params: [String] = []
        if let dir = socketDirectory { params.append("host=\(dir)") }
        if host == nil, port != 5432 { params.append("port=\(port)") }
        if sslMode != .prefer { params.append("sslmode=\(sslMode.rawValue)") }
        if !settings.isEmpty { params.append("options=" + settings.map { "-c \($0.name)=\($0.value)" }.joined(separator: " ")) }
        return "postgresql://\(auth)@\(place)/\(database)" + (params.isEmpty ? "" : "?" + params.joined(separator: "&"))
    }
}

/// A secret string: `description`, `debugDescription` and the mirror show `***`, so neither
/// `print`, `dump` nor string interpolation of an enclosing value can leak it.
public struct Redacted: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "***" }
    public var debugDescription: String { "***" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
