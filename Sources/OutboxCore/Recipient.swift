/// A WhatsApp recipient in the one form the daemon stores and sends: `+` and 8 to 15 digits,
/// or a business-scoped user id (BSUID) for a customer known only by username.
///
/// The API prefixes the business number's own country code when the `+` is missing, which can
/// reach the wrong person, so every number is normalised to international form on the way in.
public struct Recipient: Hashable, Sendable, CustomStringConvertible {
    /// `+` followed by the digits, country code first; for a BSUID recipient, the BSUID as
    /// Meta gave it (the stored form either way).
    public let e164: String

    /// Normalises a number written by a person: spaces, dashes, dots and parentheses are
    /// ignored, a leading `+` or `00` is optional.
    /// Reads the bytes: every character it accepts is ASCII (an import parses one per row).
    public init(parsing raw: String) throws(ValidationError) {
        var digits: [UInt8] = []
        digits.reserveCapacity(16)
        var sawPlus = false
        var bad = false
        for (index, b) in raw.utf8.enumerated() {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits.append(b)
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "."), UInt8(ascii: "\t"): continue
            case UInt8(ascii: "+") where index == 0 || (digits.isEmpty && !sawPlus): sawPlus = true
            default: bad = true
            }
            if bad { break }
        }
        if bad {
            throw ValidationError(field: "to", "'\(raw)' is not a phone number: use the international form, country code first, e.g. +4915112345678")
        }
        if !sawPlus, digits.starts(with: [0x30, 0x30]) { digits.removeFirst(2) }
        guard (8...15).contains(digits.count) else {
            throw ValidationError(field: "to", "'\(raw)' has \(digits.count) digits; an international number has 8 to 15, country code first")
        }
        guard digits.first != 0x30 else {
            throw ValidationError(field: "to", "'\(raw)' starts with 0; write the country code first, e.g. +49...")
        }
        digits.insert(UInt8(ascii: "+"), at: 0)
        self.e164 = String(decoding: digits, as: UTF8.self)
    }

    /// Wraps a number already stored in normal form.
    public init(normalized: String) { self.e164 = normalized }

    /// A BSUID: an ISO 3166 two-letter country code, a period, then up to 128 letters and
    /// digits (e.g. `US.13491208655302741918`; a parent BSUID has one more period-separated
    /// part). Kept exactly as given: Meta says to store and send it back unchanged.
    public init(bsuid raw: String, field: String = "recipient") throws(ValidationError) {
        let u = Array(raw.utf8)
        func letter(_ c: UInt8) -> Bool { (65...90).contains(c) }
        func alnum(_ c: UInt8) -> Bool { letter(c) || (97...122).contains(c) || (48...57).contains(c) }
        guard u.count >= 4, u.count <= 3 + 128 + 1 + 128, letter(u[0]), letter(u[1]), u[2] == 46,
              u[3...].split(separator: 46, omittingEmptySubsequences: false).allSatisfy({ !$0.isEmpty && $0.allSatisfy(alnum) }),
              u[3...].filter({ $0 == 46 }).count <= 1 else {
            throw ValidationError(field: field, "'\(raw.prefix(64))' is not a business-scoped user id: a two-letter country code, a period and letters or digits, e.g. US.13491208655302741918")
        }
        self.e164 = raw
    }

    /// Whether this recipient is addressed by BSUID (the API body's `recipient`) rather than
    /// by number (`to`).
    public var isBSUID: Bool { !e164.hasPrefix("+") }

    /// Whether a stored recipient is a BSUID.
    public static func isBSUID(_ stored: String) -> Bool { !stored.hasPrefix("+") }

    /// The digits alone, as WhatsApp's `wa_id` carries them.
    public var waID: String { String(e164.dropFirst()) }
    public var description: String { e164 }
}
