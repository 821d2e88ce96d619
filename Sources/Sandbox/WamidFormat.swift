/// Makes message ids from a per-instance random prefix and a serial number, so ids are
/// unique within the process and look like the real ones (`wamid.HBgL…`, `gBEG…`).
struct WamidFormat: Sendable {
    /// 7 random bytes, different for every sandbox instance.
    private let prefix: UInt64

    init(prefix: UInt64) {
        self.prefix = prefix & 0x00FF_FFFF_FFFF_FFFF
    }

    init() {
        var generator = SystemRandomNumberGenerator()
        self.init(prefix: generator.next())
    }

    /// The id of the accepted message number `serial` on `api`.
    func id(serial: UInt64, api: SandboxAPI) -> String {
        let encoded = encode(serial: serial)
        return api == .cloud ? "wamid.HBgL" + encoded : "gBEG" + encoded
    }

    /// The id of a simulated inbound message: `wamid.HBgL…` on Cloud, `ABGG…` (the shape of
    /// On-Premise inbound ids) on On-Premise.
    func inboundID(serial: UInt64, api: SandboxAPI) -> String {
        let encoded = encode(serial: serial)
        return api == .cloud ? "wamid.HBgL" + encoded : "ABGG" + encoded
    }

    /// The prefix and the serial, base64url-encoded.
    private func encode(serial: UInt64) -> String {
        var bytes = [UInt8](repeating: 0, count: 15)
        for i in 0..<7 { bytes[i] = UInt8(truncatingIfNeeded: prefix >> (8 * (6 - i))) }
        for i in 0..<8 { bytes[7 + i] = UInt8(truncatingIfNeeded: serial >> (8 * (7 - i))) }
        return Self.base64URL(bytes)
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Base64url of a byte count divisible by 3 (no padding needed).
    private static func base64URL(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
