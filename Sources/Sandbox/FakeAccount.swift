/// The WhatsApp Business Account and number a key stands for in webhooks. The ids are made
/// up but stable for the key (FNV-1a of it), so runs and replays see the same ones; a key's
/// configured `phoneNumberID` wins over the made-up one.
struct FakeAccount: Sendable, Equatable {
    /// `entry[].id` of Cloud webhooks: 15 digits.
    var wabaID: String
    /// `metadata.phone_number_id`: 15 digits, or the key's configured id.
    var phoneNumberID: String
    /// `metadata.display_phone_number`: a 555 number, digits only as Meta sends it.
    var displayPhoneNumber: String

    init(key: String, phoneNumberID: String?) {
        self.wabaID = "1" + Self.digits(Self.fnv1a("waba:" + key), count: 14)
        self.phoneNumberID = phoneNumberID ?? "1" + Self.digits(Self.fnv1a("phone:" + key), count: 14)
        self.displayPhoneNumber = "1555" + Self.digits(Self.fnv1a("display:" + key), count: 7)
    }

    /// 64-bit FNV-1a of the UTF-8 bytes; unlike `Hasher`, the same in every process.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The last `count` decimal digits of `value`, zero-padded.
    static func digits(_ value: UInt64, count: Int) -> String {
        var modulus: UInt64 = 1
        for _ in 0..<count { modulus *= 10 }
        let text = String(value % modulus)
        return String(repeating: "0", count: count - text.count) + text
    }
}
