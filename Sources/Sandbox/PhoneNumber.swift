/// The sandbox's reading of a `to` value: the API accepts `+`, `-`, `(`, `)` and spaces
/// around 8 to 15 digits (E.164 without its plus).
enum PhoneNumber {
    /// The ASCII digits of `text`, in order; how recipient faults are matched.
    static func digits(of text: String) -> String {
        var out = ""
        out.unicodeScalars.append(contentsOf: text.unicodeScalars.lazy.filter { $0.value >= 48 && $0.value <= 57 })
        return out
    }

    /// The digits of a valid `to`, or nil when it has other characters or a wrong length.
    static func waID(of to: String) -> String? {
        var digits = 0
        for byte in to.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: " "): continue
            default: return nil
            }
        }
        guard (8...15).contains(digits) else { return nil }
        return digits == to.utf8.count ? to : Self.digits(of: to)
    }
}
