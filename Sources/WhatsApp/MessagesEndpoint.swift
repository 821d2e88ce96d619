import NIOHTTP1

/// Where a `/messages` request goes, read once from its URL: scheme, host, port, the request
/// target, and the head's fixed headers (`Host`, the key, the content type).
///
/// Only plain `http(s)://host[:port]/path` URLs qualify; anything else (user info, an IPv6
/// literal, a fragment, a key that is not a valid header value) is nil, and the request goes
/// through AsyncHTTPClient as before.
struct MessagesEndpoint: Hashable, Sendable {
    var tls: Bool
    var host: String
    var port: Int
    /// The request target: path and query.
    var target: String

    /// Whether the host is an IPv4 address (digits and dots), not a name to resolve.
    var isIPAddress: Bool { host.utf8.allSatisfy { $0 == UInt8(ascii: ".") || ($0 >= 0x30 && $0 <= 0x39) } }

    /// The pool a connection belongs to: one per scheme, host and port.
    var poolKey: String { "\(tls ? "https" : "http")://\(host):\(port)" }

    /// The `Host` header: the port only when it is not the scheme's default.
    var hostHeader: String { port == (tls ? 443 : 80) ? host : "\(host):\(port)" }

    init?(url: String) {
        let rest: Substring
        if url.hasPrefix("http://") { (tls, rest) = (false, url.dropFirst(7)) }
        else if url.hasPrefix("https://") { (tls, rest) = (true, url.dropFirst(8)) }
        else { return nil }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        var path = rest[authority.endIndex...]
        guard !authority.isEmpty, !path.contains("#") else { return nil }
        if path.isEmpty { path = "/" } else if path.first == "?" { path = "/" + path }
        guard path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        var host = authority
        var port = tls ? 443 : 80
        if let colon = authority.lastIndex(of: ":") {
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65_535).contains(p) else { return nil }
            port = p
            host = authority[..<colon]
        }
        // Letters, digits, '-' and '.' (a name or an IPv4 address): nothing else reaches a header.
        guard !host.isEmpty, host.utf8.allSatisfy({ b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x2E
        }) else { return nil }
        self.host = String(host)
        self.port = port
        self.target = String(path)
    }

    /// Whether `value` may travel as a header value as it is (visible ASCII and spaces, no
    /// line break that would end the header).
    static func isHeaderValue(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 }
    }

    /// The head's headers without `Content-Length`, in the order AsyncHTTPClient sent them.
    func headers(apiKey: String) -> HTTPHeaders {
        HTTPHeaders([
            ("Host", hostHeader), ("D360-API-KEY", apiKey), ("Content-Type", "application/json"), ("User-Agent", "wa-outbox"),
        ])
    }
}
