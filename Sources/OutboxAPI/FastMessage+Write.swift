import OutboxCore

extension FastMessage {
    /// What `write` makes: the canonical payload, and a template's name and language code.
    struct Written {
        var payload: [UInt8]
        var name: String?
        var language: String?
    }

    /// The message checked as `MessageValidator` checks these shapes and written as
    /// `JSONValue.canonicalBytes` writes its tree; nil when a check fails (the slow path
    /// then names the fault).
    func write(_ s: LineScanner) -> Written? {
        var out: [UInt8] = []
        out.reserveCapacity(64 + s.bytes.count)
        if !isTemplate {
            guard let body, body.count > 0, fits(body, 4096, s) else { return nil }
            out.append(static: #"{"text":{"body":""#)
            guard write(body, s, into: &out) else { return nil }
            out.append(UInt8(ascii: "\""))
            if let preview { out.append(static: preview ? #","preview_url":true"# : #","preview_url":false"#) }
            out.append(static: #"},"type":"text"}"#)
            return Written(payload: out)
        }
        guard let name, name.count > 0, let nameText = s.text(name), SubmissionParser.fits(nameText, 512),
              nameText.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }),
              let code, code.count > 0, let codeText = s.text(code), SubmissionParser.fits(codeText, 20)
        else { return nil }
        out.append(static: #"{"template":{"#)
        if let components {
            let bodyLimit = components.count > 1 ? 1024 : 32768
            out.append(static: #""components":["#)
            for (i, c) in components.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "{"))
                if let parameters = c.parameters {
                    out.append(static: #""parameters":["#)
                    for k in parameters {
                        let text = texts[k]
                        guard text.count > 0, fits(text, c.header ? 60 : bodyLimit, s) else { return nil }
                        if k > parameters.lowerBound { out.append(UInt8(ascii: ",")) }
                        out.append(static: #"{"text":""#)
                        guard write(text, s, into: &out) else { return nil }
                        out.append(static: #"","type":"text"}"#)
                    }
                    out.append(static: "],")
                }
                out.append(static: c.header ? #""type":"header"}"# : #""type":"body"}"#)
            }
            out.append(static: "],")
        }
        out.append(static: #""language":{"code":"#)
        JSONValue.writeString(codeText, into: &out)
        if policy { out.append(static: #","policy":"deterministic""#) }
        out.append(static: #"},"name":"#)
        JSONValue.writeString(nameText, into: &out)
        out.append(static: #"},"type":"template"}"#)
        return Written(payload: out, name: nameText, language: codeText)
    }

    /// True when the token's text is at most `max` characters as `Rules.string` counts them:
    /// its bytes when they are few enough, else its characters.
    private func fits(_ t: Token, _ max: Int, _ s: LineScanner) -> Bool {
        if !t.escaped, t.count <= max { return true }
        guard let text = s.text(t) else { return false }
        return SubmissionParser.fits(text, max)
    }

    /// Appends the inside of the token's string literal as canonical JSON writes its text:
    /// the bytes themselves when it has no escape (nothing in them needs one: a quote, a
    /// backslash or a control character ends the token or fails it), else its decoded text
    /// escaped by `writeEscaped`. False when it is not text this path decodes.
    private func write(_ t: Token, _ s: LineScanner, into out: inout [UInt8]) -> Bool {
        if !t.escaped {
            if !t.ascii, String(validating: UnsafeBufferPointer(rebasing: s.bytes[t.start..<t.end]), as: UTF8.self) == nil { return false }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: s.bytes[t.start..<t.end]))
            return true
        }
        guard let text = s.text(t) else { return false }
        JSONValue.writeEscaped(text, into: &out)
        return true
    }
}

extension SubmissionParser {
    /// True when `s` is at most `max` characters as `Rules.string` counts them (bytes first,
    /// the grapheme walk only when they could be over).
    static func fits(_ s: String, _ max: Int) -> Bool { s.utf8.count <= max || s.count <= max }
}

extension [UInt8] {
    /// Appends a literal's bytes in one copy.
    mutating func append(static text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
