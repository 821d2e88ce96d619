import Foundation

/// 360dialog's rules for a webhook URL: https, no underscore in the host, no port. Loopback
/// hosts are exempt so the built-in sandbox can deliver to a local receiver.
public enum WebhookURLRule {
    /// The problem with `text`, or nil when 360dialog would take it.
    public static func problem(_ text: String) -> String? {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            return "'\(text)' is not a URL"
        }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "::1" || bare.hasPrefix("127.") { return nil }
        if scheme != "https" { return "360dialog requires https, not \(scheme)" }
        if host.contains("_") { return "360dialog refuses an underscore in the host name (\(host))" }
        if url.port != nil { return "360dialog refuses a port in the URL; put the receiver behind a proxy on 443" }
        return nil
    }
}
