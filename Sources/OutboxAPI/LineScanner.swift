import OutboxCore

/// The byte reader of `SubmissionParser.parseFast`: the JSON tokens a common submission line
/// is made of, read in place, never a value tree. Every read either succeeds on input it is
/// sure `JSONParser` reads the same way, or gives up (nil, false): then the slow path, which
/// gives every error, reads the line. It never traps: each index is checked against the end.
struct LineScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// A string token as it stands in the line, between its quotes.
    struct Token {
        var start: Int
        var end: Int
        /// Holds a backslash escape: the text is not the bytes.
        var escaped: Bool
        /// Holds a byte of 0x80 or more: its UTF-8 must be validated.
        var ascii: Bool
        var count: Int { end - start }
    }

    var atEnd: Bool { i >= bytes.count }

    /// Skips JSON's whitespace (the parser's own four bytes).
    mutating func space() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    /// Takes `byte` after any whitespace.
    mutating func take(_ byte: UInt8) -> Bool {
        space()
        guard i < bytes.count, bytes[i] == byte else { return false }
        i += 1
        return true
    }

    /// The next byte after any whitespace, not taken.
    mutating func peek() -> UInt8? {
        space()
        return i < bytes.count ? bytes[i] : nil
    }

    /// Takes `null` after any whitespace.
    mutating func takeNull() -> Bool { takeWord("null") }

    /// Takes `true` or `false`; nil for anything else (nothing taken).
    mutating func takeBool() -> Bool? {
        if takeWord("true") { return true }
        if takeWord("false") { return false }
        return nil
    }

    private mutating func takeWord(_ word: StaticString) -> Bool {
        space()
        let n = word.utf8CodeUnitCount
        guard bytes.count - i >= n else { return false }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return false }
        i += n
        return true
    }

    /// A string token, or nil (a control character, no closing quote, not a string).
    mutating func string() -> Token? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        var t = Token(start: i, end: i, escaped: false, ascii: true)
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                t.end = i
                i += 1
                return t
            }
            if b < 0x20 { return nil }
            if b >= 0x80 { t.ascii = false }
            if b == UInt8(ascii: "\\") {
                t.escaped = true
                i += 1   // the escaped byte is never the closing quote
                guard i < bytes.count else { return nil }
                if bytes[i] < 0x20 { return nil }
            }
            i += 1
        }
        return nil
    }

    /// A key token with no escape and nothing but ASCII, as bytes to compare with known names.
    mutating func key() -> Token? {
        guard let t = string(), !t.escaped, t.ascii else { return nil }
        guard take(UInt8(ascii: ":")) else { return nil }
        return t
    }

    func equals(_ t: Token, _ name: StaticString) -> Bool {
        guard t.count == name.utf8CodeUnitCount else { return false }
        for k in 0..<t.count where bytes[t.start + k] != name.utf8Start[k] { return false }
        return true
    }

    /// True when the token's text, escapes decoded, is `name` byte for byte (a value such as
    /// a message type, which JSON may spell with escapes).
    func means(_ t: Token, _ name: StaticString) -> Bool {
        if !t.escaped { return equals(t, name) }
        guard let text = text(t) else { return false }
        return text.utf8.elementsEqual(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    /// The token's text as the parser decodes it, or nil when it is not valid UTF-8 or holds
    /// an escape this reader does not decode (a lone surrogate, a bad `\u`).
    func text(_ t: Token) -> String? {
        let raw = UnsafeBufferPointer(rebasing: bytes[t.start..<t.end])
        if !t.escaped { return t.ascii ? String(decoding: raw, as: UTF8.self) : String(validating: raw, as: UTF8.self) }
        // The line is valid UTF-8 only if its raw bytes are (the slow path checks them first).
        if !t.ascii, String(validating: raw, as: UTF8.self) == nil { return nil }
        // Escapes are rare on this path: the quoted token goes to the parser itself, so they
        // are decoded (and refused: a lone surrogate, a bad `\u`) exactly as the slow path does.
        guard case .string(let decoded)? = try? JSONParser.parse(UnsafeBufferPointer(rebasing: bytes[(t.start - 1)...t.end])) else { return nil }
        return decoded
    }

    /// Skips the rest of an object or array after its first member: `,` or its `close`.
    /// Returns true for `,`, false for the close, nil for anything else.
    mutating func next(close: UInt8) -> Bool? {
        if take(UInt8(ascii: ",")) { return true }
        if take(close) { return false }
        return nil
    }
}
