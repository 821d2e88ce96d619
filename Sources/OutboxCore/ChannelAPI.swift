/// Which of 360dialog's APIs a channel speaks.
public enum ChannelAPI: String, Sendable, Codable, CaseIterable {
    /// Cloud API: `POST {base_url}/messages`, Graph-style body and errors.
    case cloud
    /// Legacy On-Premise API: `POST {base_url}/v1/messages`, flat body, `errors` array.
    case onpremise

    /// The path of the send endpoint under `base_url`.
    public var messagesPath: String {
        switch self {
        case .cloud: "/messages"
        case .onpremise: "/v1/messages"
        }
    }
}
