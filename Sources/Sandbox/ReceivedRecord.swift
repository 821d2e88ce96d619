/// The compact form of a `ReceivedMessage` kept in the received log: the id is stored as its
/// serial and rebuilt on demand; short strings stay inline.
struct ReceivedRecord: Sendable {
    var serial: UInt64
    var api: SandboxAPI
    var keyFingerprint: String
    var to: String
    var type: String
    var callbackData: String?
    var receivedAtMillis: Int64
    var body: String?

    func message(format: WamidFormat) -> ReceivedMessage {
        ReceivedMessage(
            wamid: format.id(serial: serial, api: api),
            key: keyFingerprint,
            to: to,
            type: type,
            api: api.rawValue,
            callbackData: callbackData,
            receivedAtMillis: receivedAtMillis,
            body: body ?? ""
        )
    }

    /// What a log shows instead of a key: its first 4 characters and an ellipsis.
    static func fingerprint(of key: String) -> String {
        String(key.prefix(4)) + "…"
    }
}
