/// The 64-bit FNV-1a hash, fed in pieces. Not cryptographic: it names imports and rows so a
/// re-run finds them again. A collision between two different rows of one import is caught
/// by the daemon (same key, different content: a conflict, reported as a rejected row), never
/// a silent drop.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var h = value
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        value = h
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
        update([0])  // separates the pieces: ("ab", "c") and ("a", "bc") differ
    }

    /// 16 lowercase hex digits.
    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
