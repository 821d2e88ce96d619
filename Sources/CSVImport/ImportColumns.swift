/// What each column of an import file means, read from its header row (CONTRACT.md, "CSV
/// import"). Names are matched without regard to case or surrounding spaces. Numbered
/// columns count from 1, as people count: `body.1` fills `{{1}}`, `button.1` is the
/// template's first button (the API's `index` 0).
public struct ImportColumns: Sendable, Equatable {
    /// How many fields every row must have: the header's.
    public var count: Int
    /// The header's names as written, for messages.
    public var names: [String]
    public var to: Int
    public var text: Int?
    public var template: Int?
    public var language: Int?
    /// Columns of `body.1`, `body.2`, ... in order.
    public var body: [Int]
    /// Column of `header.1`, a text header's one parameter.
    public var header: Int?
    /// Columns of `button.N`, by N: a URL button's dynamic suffix.
    public var buttons: [Int: Int]
    public var idempotencyKey: Int?
    public var priority: Int?
    public var notBefore: Int?
    public var expiresAt: Int?
    /// True when rows are templates (a template column or `--template`); else text.
    public var isTemplate: Bool

    static let plain = ["to", "text", "template", "language", "idempotency_key", "priority", "not_before", "expires_at"]
    /// Columns a rejects file adds; ignored so a fixed rejects file imports as it is.
    static let ignored: Set<String> = ["row", "reason"]
    static let maxBodyParameters = 100
    static let maxButtons = 10

    /// Maps `header` (the names as written); `template` and `language` are the
    /// `--template`/`--language` defaults. Throws the reason the header cannot be used.
    public init(header given: [String], template defaultTemplate: String?, language defaultLanguage: String?) throws(HeaderProblem) {
        count = given.count
        names = given
        var index: [String: Int] = [:]
        var body: [Int: Int] = [:]
        var buttons: [Int: Int] = [:]
        for (i, raw) in given.enumerated() {
            let name = raw.trimmingSpaces.lowercased()
            guard !name.isEmpty else { throw HeaderProblem("has no name in column \(i + 1); name every column, or delete the empty one") }
            guard index[name] == nil else { throw HeaderProblem("names '\(name)' twice (columns \(index[name]! + 1) and \(i + 1))") }
            index[name] = i
            if Self.plain.contains(name) || Self.ignored.contains(name) { continue }
            if let n = Self.number(name, prefix: "body."), (1...Self.maxBodyParameters).contains(n) {
                body[n] = i
            } else if let n = Self.number(name, prefix: "button."), (1...Self.maxButtons).contains(n) {
                buttons[n] = i
            } else if name == "header.1" {
                continue
            } else {
                throw HeaderProblem("has an unknown column '\(raw)' (column \(i + 1)); the columns are \(Self.known)")
            }
        }
        guard let to = index["to"] else { throw HeaderProblem("has no 'to' column; the columns are \(Self.known)") }
        self.to = to
        text = index["text"]
        template = index["template"]
        language = index["language"]
        header = index["header.1"]
        idempotencyKey = index["idempotency_key"]
        priority = index["priority"]
        notBefore = index["not_before"]
        expiresAt = index["expires_at"]
        self.buttons = buttons
        isTemplate = template != nil || defaultTemplate != nil
        if let highest = body.keys.max(), let missing = (1...highest).first(where: { body[$0] == nil }) {
            throw HeaderProblem("has body.\(highest) but no body.\(missing); body parameters are numbered 1, 2, 3, ... without gaps")
        }
        self.body = body.keys.sorted().map { body[$0]! }
        if text != nil, isTemplate {
            throw HeaderProblem("has a text column and \(template != nil ? "a template column" : "--template was given"); a file holds text messages or template messages, not both")
        }
        if !isTemplate {
            guard text != nil else {
                throw HeaderProblem("needs a 'text' column, or a 'template' column (or --template) with 'language' (or --language)")
            }
            var templateOnly: [String] = []
            if language != nil { templateOnly.append("language") }
            if header != nil { templateOnly.append("header.1") }
            if !self.body.isEmpty { templateOnly.append("body.1") }
            templateOnly += buttons.keys.sorted().map { "button.\($0)" }
            if let name = templateOnly.first {
                throw HeaderProblem("has a '\(name)' column, which only templates use; add a template column or --template")
            }
        } else if language == nil, defaultLanguage == nil {
            throw HeaderProblem("has no 'language' column and --language was not given; a template needs its language code, e.g. --language en_US")
        }
    }

    static var known: String {
        "to; text, or template and language with body.1, body.2, ..., header.1 and button.1, ...; optional idempotency_key, priority, not_before, expires_at"
    }

    static func number(_ name: String, prefix: String) -> Int? {
        guard name.hasPrefix(prefix) else { return nil }
        let digits = name.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.first != "0" else { return nil }
        return Int(digits)
    }

    /// The column name a row's error belongs to, from the field path `SubmissionParser`
    /// reports (`message.text.body` → `text`). `components` names the template's components
    /// in the order the row built them.
    func column(forField field: String?, components: [TemplateComponent]) -> String? {
        guard let field, !field.isEmpty else { return nil }
        let parts = field.split(separator: ".").map(String.init)
        switch parts.first {
        case "message":
            if parts.count >= 2, parts[1] == "text" { return "text" }
            guard parts.count >= 3, parts[1] == "template" else { return field }
            switch parts[2] {
            case "name": return "template"
            case "language": return "language"
            case "components":
                guard parts.count >= 4, let i = Int(parts[3]), i < components.count else { return field }
                let parameter = parts.count >= 6 && parts[4] == "parameters" ? Int(parts[5]) : nil
                return components[i].column(parameter: parameter)
            default: return field
            }
        default:
            return field
        }
    }
}

/// Why a header row cannot be used, completing "the header row (row 1) ...".
public struct HeaderProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        // Most cells have nothing to trim: no copy for them (a row's mapping trims several).
        guard let first = utf8.first, let last = utf8.last, first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 else { return self }
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
