import Crypto
import Foundation

/// Standard Webhooks signing (https://www.standardwebhooks.com): the signed content is
/// `{webhook-id}.{webhook-timestamp}.{body}`, the signature `v1,` + base64(HMAC-SHA256).
public enum WebhookSignature {
    /// The `webhook-signature` header value for one delivery.
    public static func sign(id: String, timestampSeconds: Int64, body: [UInt8], key: SigningKey) -> String {
        var content = Array("\(id).\(timestampSeconds).".utf8)
        content.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key.bytes))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// Whether a `webhook-signature` header (space-separated `v1,SIG` entries) holds a valid
    /// signature of this delivery; compared in constant time. For tests and receivers.
    public static func verify(header: String, id: String, timestampSeconds: Int64, body: [UInt8], key: SigningKey) -> Bool {
        let expected = Array(sign(id: id, timestampSeconds: timestampSeconds, body: body, key: key).utf8)
        var ok = false
        for candidate in header.split(separator: " ") {
            let c = Array(candidate.utf8)
            guard c.count == expected.count else { continue }
            var diff: UInt8 = 0
            for i in 0..<c.count { diff |= c[i] ^ expected[i] }
            if diff == 0 { ok = true }
        }
        return ok
    }
}
