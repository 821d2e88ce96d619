/// The one canonical JSON writer: compact UTF-8 with object keys sorted (Swift's `String`
/// order), written straight into bytes. The same value always gives the same bytes, and those
/// bytes must never change: stored payloads are compared with them for idempotency (same key,
/// same content is a duplicate) and import row keys hash them. Runs of bytes that need no
/// escape are copied whole; appending scalar by scalar to a `String`, as this used to, was
/// the largest cost of a batch submission and of a CSV import.
extension JSONValue {
    /// Canonical JSON as text.
    public var canonicalText: String { String(decoding: canonicalBytes, as: UTF8.self) }

    /// Canonical JSON as UTF-8 bytes.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        writeCanonical(into: &out)
        return out
    }

    /// Appends canonical JSON to `out` (text).
    public func write(to out: inout String) {
        out += canonicalText
    }

    /// Appends canonical JSON to `out`.
    public func writeCanonical(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            let text = d.isFinite && d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : (d.isFinite ? "\(d)" : "null")
            out.append(contentsOf: text.utf8)
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, member) in o.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends a JSON string literal with the escapes RFC 8259 requires.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        writeEscaped(s, into: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// Appends the inside of a JSON string literal: `"`, `\` and control characters escaped
    /// (`\n`, `\r`, `\t`, else `\u00XX` in lowercase hex); every other byte as it is.
    public static func writeEscaped(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            for i in utf8.indices {
                let b = utf8[i]
                guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                out.append(0x5C)
                switch b {
                case 0x22, 0x5C: out.append(b)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    let hex: StaticString = "0123456789abcdef"
                    out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                            hex.utf8Start[Int(b >> 4)], hex.utf8Start[Int(b & 0xF)]])
                }
                runStart = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
    }

    /// Appends a JSON string literal to text.
    public static func writeString(_ s: String, to out: inout String) {
        out += "\""
        writeEscaped(s, to: &out)
        out += "\""
    }

    /// Appends the inside of a JSON string literal to text, escaped as `writeEscaped(_:into:)`.
    public static func writeEscaped(_ s: String, to out: inout String) {
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += s
            return
        }
        var bytes: [UInt8] = []
        writeEscaped(s, into: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }
}
