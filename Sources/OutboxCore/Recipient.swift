/// A WhatsApp recipient in the one form the daemon stores and sends: `+` and 8 to 15 digits.
///
/// The API prefixes the business number's own country code when the `+` is missing, which can
/// reach the wrong person, so every number is normalised to international form on the way in.
public struct Recipient: Hashable, Sendable, CustomStringConvertible {
    /// `+` followed by the digits, country code first.
    public let e164: String

    /// Normalises a number written by a person: spaces, dashes, dots and parentheses are
    /// ignored, a leading `+` or `00` is optional.
    public init(parsing raw: String) throws(ValidationError) {
        var digits = ""
        digits.reserveCapacity(16)
        var sawPlus = false
        for (index, ch) in raw.unicodeScalars.enumerated() {
            switch ch {
            case "0"..."9": digits.unicodeScalars.append(ch)
            case " ", "-", "(", ")", ".", "\t": continue
            case "+" where index == 0 || (digits.isEmpty && !sawPlus): sawPlus = true
            default:
                throw ValidationError(field: "to", "'\(raw)' is not a phone number: use the international form, country code first, e.g. +4915112345678")
            }
        }
        if !sawPlus, digits.hasPrefix("00") { digits.removeFirst(2) }
        guard (8...15).contains(digits.count) else {
            throw ValidationError(field: "to", "'\(raw)' has \(digits.count) digits; an international number has 8 to 15, country code first")
        }
        guard digits.first != "0" else {
            throw ValidationError(field: "to", "'\(raw)' starts with 0; write the country code first, e.g. +49...")
        }
        self.e164 = "+" + digits
    }

    /// Wraps a number already stored in normal form.
    public init(normalized: String) { self.e164 = normalized }

    /// The digits alone, as WhatsApp's `wa_id` carries them.
    public var waID: String { String(e164.dropFirst()) }
    public var description: String { e164 }
}
