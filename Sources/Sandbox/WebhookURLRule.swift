import Foundation

/// 360dialog's rules for a webhook URL (WHATSAPP-API.md §6.3): HTTPS, no `:port`, no
/// underscore in the host. Unlike the real API, loopback URLs (`127.0.0.1`, `localhost`,
/// `[::1]`) are accepted over plain HTTP and with any port, so tests can receive on loopback.
enum WebhookURLRule {
    /// Why `url` would be refused, or nil when it is acceptable.
    static func problem(with url: String) -> String? {
        guard let components = URLComponents(string: url),
              let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty
        else {
            return "The webhook url must be an absolute URL."
        }
        guard scheme == "https" || scheme == "http" else {
            return "The webhook url must use https."
        }
        if isLoopback(host) {
            return nil
        }
        if scheme != "https" {
            return "The webhook url must use https."
        }
        if components.port != nil {
            return "The webhook url must not contain a port."
        }
        if host.contains("_") {
            return "The webhook url must not contain underscores in its domain."
        }
        return nil
    }

    /// Whether `host` names this machine.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}
