/// The configured words and quick-reply payloads by which a customer stops marketing messages
/// (`[marketing] optout_keywords`, `optout_payloads`), e.g. "STOP". A customer's message is an
/// opt-out when its whole text, or the payload of the button they tapped, is one of them,
/// ignoring case and surrounding spaces: "stop" is, "don't stop" is not.
public struct OptOutWords: Sendable, Equatable {
    public var keywords: Set<String>
    public var payloads: Set<String>

    public init(keywords: [String] = [], payloads: [String] = []) {
        self.keywords = Set(keywords.map(Self.fold).filter { !$0.isEmpty })
        self.payloads = Set(payloads.map(Self.fold).filter { !$0.isEmpty })
    }

    public var isEmpty: Bool { keywords.isEmpty && payloads.isEmpty }

    /// Why this inbound message (the webhook's message object) opts out: `keyword` or
    /// `payload`, with the word; nil when it does not.
    public func match(_ message: JSONValue) -> (source: String, word: String)? {
        guard !isEmpty else { return nil }
        if let text = message["text"]?["body"]?.stringValue, text.utf8.count <= 256, keywords.contains(Self.fold(text)) {
            return ("keyword", Self.fold(text))
        }
        let tapped = [message["button"]?["payload"], message["button"]?["text"], message["interactive"]?["button_reply"]?["id"]]
        for case let value? in tapped.map({ $0?.stringValue }) where value.utf8.count <= 256 {
            let word = Self.fold(value)
            if payloads.contains(word) { return ("payload", word) }
            if keywords.contains(word) { return ("keyword", word) }
        }
        return nil
    }

    static func fold(_ s: String) -> String {
        String(s.unicodeScalars.filter { !$0.properties.isWhitespace || $0 == " " }).split(separator: " ").joined(separator: " ").uppercased()
    }
}
