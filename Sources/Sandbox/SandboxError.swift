/// Errors of the sandbox module.
public enum SandboxError: Error, Equatable, CustomStringConvertible {
    /// A drop fault closed the connection on purpose; there is no answer to write.
    case connectionDropped
    /// An API key the sandbox does not accept (empty, or not among the configured keys).
    case unknownKey
    /// The key (shown as its fingerprint) has no webhook URL, so there is nowhere to deliver.
    case noWebhook(key: String)
    /// A simulated inbound message the sandbox cannot build; the text says which field.
    case invalidInbound(String)
    /// Rules the sandbox cannot use; the text names the field.
    case invalidRules(String)

    public var description: String {
        switch self {
        case .connectionDropped: "the sandbox closed the connection on purpose (drop fault)"
        case .unknownKey: "the API key is not one the sandbox accepts; use a configured key"
        case .noWebhook(let key):
            "key \(key) has no webhook URL; set one with POST /v1/configs/webhook or SandboxKey.webhookURL"
        case .invalidInbound(let reason): "invalid simulated inbound message: \(reason)"
        case .invalidRules(let reason): "invalid rules: \(reason)"
        }
    }
}
