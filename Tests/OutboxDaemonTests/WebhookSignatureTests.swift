import OutboxDaemon
import Testing

@Suite("Standard Webhooks signatures")
struct WebhookSignatureTests {
    /// The example of the Standard Webhooks specification's reference libraries.
    let key = SigningKey(text: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!
    let body = Array(#"{"test": 2432232314}"#.utf8)

    @Test("the signature is the specification's for its published example")
    func publishedVector() {
        #expect(WebhookSignature.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestampSeconds: 1614265330, body: body, key: key)
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("verification takes any of several signatures and refuses a changed id, time, body or key")
    func verify() {
        let sig = WebhookSignature.sign(id: "evt_1", timestampSeconds: 10, body: body, key: key)
        #expect(WebhookSignature.verify(header: "v1,bogus \(sig)", id: "evt_1", timestampSeconds: 10, body: body, key: key))
        #expect(!WebhookSignature.verify(header: sig, id: "evt_2", timestampSeconds: 10, body: body, key: key))
        #expect(!WebhookSignature.verify(header: sig, id: "evt_1", timestampSeconds: 11, body: body, key: key))
        #expect(!WebhookSignature.verify(header: sig, id: "evt_1", timestampSeconds: 10, body: body + [32], key: key))
        #expect(!WebhookSignature.verify(header: sig, id: "evt_1", timestampSeconds: 10, body: body, key: SigningKey(text: "other")!))
    }

    @Test("a whsec_ secret is base64; other text is the key's bytes; the key never prints")
    func secrets() {
        #expect(SigningKey(text: "whsec_c2VjcmV0")?.bytes == Array("secret".utf8))
        #expect(SigningKey(text: "plain")?.bytes == Array("plain".utf8))
        #expect(SigningKey(text: "whsec_***") == nil)
        #expect("\(key)" == "<redacted>")
    }
}
