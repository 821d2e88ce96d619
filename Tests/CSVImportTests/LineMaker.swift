import Foundation

/// Draws NDJSON submission lines for `SubmissionFastPathTests`: the shapes the fast path knows
/// (text and template messages, the usual optional fields) written every way JSON allows
/// (any key order, whitespace, escapes of every kind), and, in a share of them, what it must
/// leave to the slow path: unknown and repeated keys, numbers, nulls, buttons, invalid UTF-8,
/// lone surrogates, overlong texts, bad times, stray bytes, a cut-off line.
struct LineMaker {
    var r: Rand
    /// Percent of choices that are hostile in this line.
    var hostile = 10
    /// False once anything the fast path does not know went in.
    var plain = true

    mutating func line() -> SubmissionFastPathTests.Line {
        hostile = r.pick([0, 3, 10, 30])
        plain = true
        var members: [(String, String)] = []
        members.append(("channel", string(r.chance(95) ? r.pick(["main", "main", "other"]) : r.pick(["", "nope", "Main", "ma\u{0301}in"]))))
        if r.chance(92) {
            members.append(("to", string(r.pick(["+4915112345678", "+49 151 1234 5678", "004915112345678", "+1 (555) 010-9999", "49151", "+٤٩١٥١١", "abc"]))))
        } else {
            members.append(("recipient", string(r.pick(["US.13491208655302741918", "DE.abc", "us.1", "X"]))))
            if r.chance(20) { members.append(("to", string("+4915112345678"))) }
        }
        members.append(("message", r.chance(40) ? text() : template()))
        let optional: [(String, [String])] = [
            ("idempotency_key", ["order-7", "k\"1\\", "", String(repeating: "k", count: 256), String(repeating: "k", count: 257), "ü€👍"]),
            ("priority", ["high", "normal", "bulk", "Bulk", "urgent", ""]),
            ("not_before", ["2027-06-01T10:00:00Z", "2027-01-15T08:00:00+02:00", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z", "tomorrow"]),
            ("expires_at", ["2027-06-02T10:00:00Z", "2027-01-15T07:00:00.250Z", "2020-01-01T00:00:00Z", "2027-06-01T10:00:00Z", "2027-13-01T00:00:00Z"]),
            ("import_id", ["feed-1", "", "ü"]),
        ]
        for (key, values) in optional where r.chance(35) {
            members.append((key, r.chance(10) ? "null" : string(r.chance(100 - hostile) ? values[0] : r.pick(values))))
        }
        if chance() { members.append((r.pick(["import_id", "channel", "bogus", "To", "message"]), r.pick(["1", "\"main\"", "null", "{}"]))); plain = false }
        if chance() { members = members.map { ($0.0, r.chance(20) ? r.pick(["1", "true", "[]", "1.5e3"]) : $0.1) }; plain = false }
        var text = object(members)
        if chance() {
            // A raw mutation: a byte changed, inserted, or the line cut short.
            var bytes = Array(text.utf8)
            let at = r.int(0...(bytes.count - 1))
            switch r.int(0...3) {
            case 0: bytes[at] = UInt8(r.int(0...255))
            case 1: bytes.insert(r.pick([0x00, 0x0A, 0x22, 0x5C, 0x7B, 0x7D, 0xC3, 0xFF, 0x2C]), at: at)
            case 2: bytes.removeSubrange(at...)
            default: bytes += r.pick([[0x20, 0x7B, 0x7D], [0x2C], [0xEF, 0xBB, 0xBF]])
            }
            plain = false
            return .init(bytes: bytes, plain: false)
        }
        if r.chance(5) { text = "\u{FEFF}" + text; plain = false }
        return .init(bytes: Array(text.utf8), plain: plain)
    }

    mutating func chance() -> Bool { r.chance(hostile) }

    mutating func text() -> String {
        var body: [(String, String)] = [("body", string(value(limit: 4096)))]
        if r.chance(30) { body.append(("preview_url", r.pick(["true", "false"]))) }
        if chance() { body.append(r.pick([("preview_url", "1"), ("preview_url", "null"), ("body", "\"x\""), ("extra", "1")])); plain = false }
        var message: [(String, String)] = [("type", string("text")), ("text", object(body))]
        if chance() { message.append(r.pick([("context", #"{"message_id":"wamid.1"}"#), ("to", "\"x\""), ("template", "{}"), ("type", "\"text\"")])); plain = false }
        if chance() { message[0].1 = string(r.pick(["Text", "image", "", "t\u{0065}xt"])); plain = false }
        return object(message)
    }

    mutating func template() -> String {
        var components: [String] = []
        let count = r.pick([0, 1, 1, 1, 2, 3])
        let others = count > 1
        for _ in 0..<count {
            let header = r.chance(30)
            var parameters: [String] = []
            for _ in 0..<r.pick([0, 1, 1, 2, 3]) {
                var p: [(String, String)] = [("type", string("text")), ("text", string(value(limit: header ? 60 : (others ? 1024 : 32768))))]
                if chance() { p.append(r.pick([("parameter_name", "\"first\""), ("type", "\"text\""), ("text", "null")])); plain = false }
                if chance() { p[0].1 = string(r.pick(["currency", "Text", "payload"])); plain = false }
                parameters.append(object(p))
            }
            var c: [(String, String)] = [("type", string(header ? "header" : "body"))]
            if !parameters.isEmpty || r.chance(50) { c.append(("parameters", "[" + parameters.joined(separator: r.pick([",", " , "])) + "]")) }
            if chance() { c[0].1 = string(r.pick(["footer", "button", "BODY"])); plain = false }
            components.append(object(c))
        }
        if chance() { components.append(#"{"type":"button","sub_type":"url","index":0,"parameters":[{"type":"text","text":"x"}]}"#); plain = false }
        var language: [(String, String)] = [("code", string(r.chance(100 - hostile) ? r.pick(["en_US", "de"]) : r.pick(["", String(repeating: "e", count: 21), String(repeating: "ü", count: 20), "日本語"])))]
        if r.chance(20) { language.append(("policy", string("deterministic"))) }
        if chance() { language.append(("policy", string(r.pick(["fallback", "deterministic", "determin\u{0131}stic"])))); plain = false }
        var template: [(String, String)] = [
            ("name", string(r.chance(100 - hostile) ? r.pick(["order_update", "promo_2"]) : r.pick(["Order", "a-b", "", String(repeating: "a", count: 513), String(repeating: "a", count: 512)]))),
            ("language", object(language)),
        ]
        if count > 0 || r.chance(30) { template.append(("components", "[" + components.joined(separator: ",") + "]")) }
        if chance() { template.append(r.pick([("namespace", "\"x\""), ("name", "\"x\""), ("components", "{}")])); plain = false }
        return object([("type", string("template")), ("template", object(template))])
    }

    /// A parameter's or body's text: plain mostly, else hostile or around a limit.
    mutating func value(limit: Int) -> String {
        switch chance() ? r.int(8...17) : r.int(0...7) {
        case 0...7: return r.pick(["Customer 42", "Order 7, 2 items", "x", " ", "ü", "€ 12,50", "say \"hi\"\n", "a/b\\c"])
        case 8: return ""
        case 9: return r.pick(["nul\u{0}", "bell\u{7}\u{1F}\u{7F}", "</script>", "\u{2028}\u{2029}", "👍🏽", "e\u{301}", "🇩🇪", "\u{FEFF}bom", "\u{10FFFF}"])
        case 10: return String(repeating: "a", count: limit)
        case 11: return String(repeating: "a", count: limit + 1)
        case 12: return String(repeating: "ü", count: min(limit, 3000))
        case 13: return String(repeating: "👍🏽", count: min(limit, 1200))
        case 14: return String(repeating: "e\u{301}", count: limit + 1)
        case 15: return String(repeating: "\\\"", count: r.int(1...40))
        default: return String((0..<r.int(1...30)).map { _ in Character(UnicodeScalar(UInt8(r.int(0...127)))) })
        }
    }

    /// A JSON string for `s`, escaped one of the ways JSON allows (or, rarely, not validly).
    mutating func string(_ s: String) -> String {
        var out = "\""
        let style = r.int(0...9)   // 0-5: only the escapes needed; 6, 7: \u for some; 8: \/ and \u for all non-ASCII; 9: hostile
        for scalar in s.unicodeScalars {
            let v = scalar.value
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n" where style < 6: out += "\\n"
            case "/" where style == 8: out += "\\/"
            default:
                if v < 0x20 || (style >= 6 && style <= 7 && r.chance(30)) || (style == 8 && v >= 0x80) {
                    out += escaped(v)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        if style == 9, chance() {
            plain = false
            out += r.pick(["\\ud800", "\\udc00x", "\\u12", "\\x", "\u{01}", "\\\u{01}", "\t"])
        }
        return out + "\""
    }

    mutating func escaped(_ v: UInt32) -> String {
        func hex(_ n: UInt32) -> String {
            let h = String(n, radix: 16)
            let padded = String(repeating: "0", count: 4 - h.count) + h
            return r.chance(50) ? padded : padded.uppercased()
        }
        if v < 0x10000 { return "\\u" + hex(v) }
        let u = v - 0x10000
        return "\\u" + hex(0xD800 + (u >> 10)) + "\\u" + hex(0xDC00 + (u & 0x3FF))
    }

    /// An object of these members, in a random order, with random whitespace.
    mutating func object(_ members: [(String, String)]) -> String {
        var m = members
        for i in m.indices.reversed() { m.swapAt(i, r.int(0...i)) }
        let ws = r.chance(80) ? "" : r.pick([" ", "\t", "\r\n ", "  "])
        return "{" + ws + m.map { key($0.0) + ws + ":" + ws + $0.1 }.joined(separator: ws + "," + ws) + ws + "}"
    }

    /// A key, mostly as it is, sometimes escaped (the same key to the slow path, unknown to the fast one).
    mutating func key(_ k: String) -> String {
        if chance(), r.chance(30) {
            plain = false
            return "\"" + k.unicodeScalars.map { r.chance(30) ? escaped($0.value) : String($0) }.joined() + "\""
        }
        return "\"" + k + "\""
    }
}
