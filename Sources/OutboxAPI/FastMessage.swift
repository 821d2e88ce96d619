import OutboxCore

/// The `message` of a common submission line as `SubmissionParser.parseFast` reads it: a text
/// message (`body`, `preview_url`) or a template message (`name`, `language` with `code` and
/// `policy`, `components` of type `header` or `body` whose parameters are all `text`). Tokens
/// only; `write` checks what `MessageValidator` checks of these shapes and writes the payload.
struct FastMessage {
    typealias Token = LineScanner.Token

    var isTemplate = false
    /// A text message's body and `preview_url`.
    var body: Token?
    var preview: Bool?
    /// A template's name, language code, whether `policy` was given, and its components.
    var name: Token?
    var code: Token?
    var policy = false
    /// nil: no `components` key (not the same payload as an empty list).
    var components: [Component]?
    /// Every component's parameters' texts, one after another.
    var texts: [Token] = []

    struct Component {
        var header: Bool
        /// nil: no `parameters` key.
        var parameters: Range<Int>?
    }

    /// The most components and parameters per component `MessageValidator` allows.
    static let maxComponents = 20, maxParameters = 100

    /// Reads a message object; nil for any other shape (nothing is promised of `s` then).
    static func read(_ s: inout LineScanner) -> FastMessage? {
        var m = FastMessage()
        var type: Token?, sawText = false, sawTemplate = false
        guard s.take(UInt8(ascii: "{")), s.peek() != UInt8(ascii: "}") else { return nil }
        while true {
            guard let key = s.key() else { return nil }
            if s.equals(key, "type") {
                guard type == nil, let t = s.string() else { return nil }
                type = t
            } else if s.equals(key, "text") {
                guard !sawText, m.readText(&s) else { return nil }
                sawText = true
            } else if s.equals(key, "template") {
                guard !sawTemplate, m.readTemplate(&s) else { return nil }
                sawTemplate = true
            } else {
                return nil
            }
            guard let more = s.next(close: UInt8(ascii: "}")) else { return nil }
            if !more { break }
        }
        guard let type else { return nil }
        if s.means(type, "text"), sawText, !sawTemplate { return m }
        if s.means(type, "template"), sawTemplate, !sawText {
            m.isTemplate = true
            return m
        }
        return nil
    }

    /// Members of an object, each read by `member` (false: not a shape this path knows).
    private static func members(_ s: inout LineScanner, _ member: (inout LineScanner, LineScanner.Token) -> Bool) -> Bool {
        guard s.take(UInt8(ascii: "{")) else { return false }
        if s.take(UInt8(ascii: "}")) { return true }
        while true {
            guard let key = s.key(), member(&s, key) else { return false }
            guard let more = s.next(close: UInt8(ascii: "}")) else { return false }
            if !more { return true }
        }
    }

    /// Items of an array, each read by `item`.
    private static func items(_ s: inout LineScanner, _ item: (inout LineScanner) -> Bool) -> Bool {
        guard s.take(UInt8(ascii: "[")) else { return false }
        if s.take(UInt8(ascii: "]")) { return true }
        while true {
            guard item(&s) else { return false }
            guard let more = s.next(close: UInt8(ascii: "]")) else { return false }
            if !more { return true }
        }
    }

    private mutating func readText(_ s: inout LineScanner) -> Bool {
        var sawPreview = false
        return Self.members(&s) { s, key in
            if s.equals(key, "body") {
                guard body == nil, let t = s.string() else { return false }
                body = t
                return true
            }
            if s.equals(key, "preview_url") {
                guard !sawPreview, let b = s.takeBool() else { return false }
                sawPreview = true
                preview = b
                return true
            }
            return false
        }
    }

    private mutating func readTemplate(_ s: inout LineScanner) -> Bool {
        var sawLanguage = false
        return Self.members(&s) { s, key in
            if s.equals(key, "name") {
                guard name == nil, let t = s.string() else { return false }
                name = t
                return true
            }
            if s.equals(key, "language") {
                guard !sawLanguage else { return false }
                sawLanguage = true
                return readLanguage(&s)
            }
            if s.equals(key, "components") {
                guard components == nil else { return false }
                components = []
                return Self.items(&s) { s in readComponent(&s) }
            }
            return false
        }
    }

    private mutating func readLanguage(_ s: inout LineScanner) -> Bool {
        Self.members(&s) { s, key in
            if s.equals(key, "code") {
                guard code == nil, let t = s.string() else { return false }
                code = t
                return true
            }
            // Only the one value `MessageValidator` allows, exactly as written.
            if s.equals(key, "policy") {
                guard !policy, let t = s.string(), s.means(t, "deterministic") else { return false }
                policy = true
                return true
            }
            return false
        }
    }

    private mutating func readComponent(_ s: inout LineScanner) -> Bool {
        guard components!.count < Self.maxComponents else { return false }
        var type: Token?, parameters: Range<Int>?
        let ok = Self.members(&s) { s, key in
            if s.equals(key, "type") {
                guard type == nil, let t = s.string() else { return false }
                type = t
                return true
            }
            if s.equals(key, "parameters") {
                guard parameters == nil else { return false }
                let first = texts.count
                guard Self.items(&s, { s in readParameter(&s, first: first) }) else { return false }
                parameters = first..<texts.count
                return true
            }
            return false
        }
        guard ok, let type else { return false }
        let header = s.means(type, "header")
        guard header || s.means(type, "body") else { return false }
        components!.append(Component(header: header, parameters: parameters))
        return true
    }

    private mutating func readParameter(_ s: inout LineScanner, first: Int) -> Bool {
        guard texts.count - first < Self.maxParameters else { return false }
        var type: Token?, text: Token?
        let ok = Self.members(&s) { s, key in
            if s.equals(key, "type") {
                guard type == nil, let t = s.string() else { return false }
                type = t
                return true
            }
            if s.equals(key, "text") {
                guard text == nil, let t = s.string() else { return false }
                text = t
                return true
            }
            return false
        }
        guard ok, let type, s.means(type, "text"), let text else { return false }
        texts.append(text)
        return true
    }
}
