/// One API key the sandbox accepts, with the throughput Meta would grant its number.
public struct SandboxKey: Sendable, Codable, Equatable {
    /// Messages per second the key may send (sliding one-second window over request starts);
    /// the next one is refused with 130429. 0 means unlimited.
    public var messagesPerSecond: Int
    /// The phone number id the key stands for; informational only.
    public var phoneNumberID: String?

    public init(messagesPerSecond: Int = 0, phoneNumberID: String? = nil) {
        self.messagesPerSecond = messagesPerSecond
        self.phoneNumberID = phoneNumberID
    }

    /// The JSON form uses snake_case keys, like the rest of the control API.
    enum CodingKeys: String, CodingKey {
        case messagesPerSecond = "messages_per_second"
        case phoneNumberID = "phone_number_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.messagesPerSecond = try c.decodeIfPresent(Int.self, forKey: .messagesPerSecond) ?? 0
        self.phoneNumberID = try c.decodeIfPresent(String.self, forKey: .phoneNumberID)
    }
}
