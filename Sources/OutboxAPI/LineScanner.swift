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
        guard let decoded = unescape(raw) else { return nil }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// JSON's escapes decoded into UTF-8, as `JSONParser.string` decodes them.
    private func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var k = 0
        func hex4() -> UInt32? {
            guard raw.count - k >= 4 else { return nil }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = raw[k]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: return nil
                }
                v = v * 16 + d
                k += 1
            }
            return v
        }
        while k < raw.count {
            let b = raw[k]
            k += 1
            guard b == UInt8(ascii: "\\") else { out.append(b); continue }
            guard k < raw.count else { return nil }
            let e = raw[k]
            k += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return nil }
                if (0xD800..<0xDC00).contains(scalar) {
                    guard raw.count - k >= 2, raw[k] == UInt8(ascii: "\\"), raw[k + 1] == UInt8(ascii: "u") else { return nil }
                    k += 2
                    guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    return nil
                }
                guard let u = Unicode.Scalar(scalar) else { return nil }
                out.append(contentsOf: String(u).utf8)
            default: return nil
            }
        }
        return out
    }

    /// Skips the rest of an object or array after its first member: `,` or its `close`.
    /// Returns true for `,`, false for the close, nil for anything else.
    mutating func next(close: UInt8) -> Bool? {
        if take(UInt8(ascii: ",")) { return true }
        if take(close) { return false }
        return nil
    }
}
