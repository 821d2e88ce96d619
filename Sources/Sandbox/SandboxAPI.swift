/// The two 360dialog APIs the sandbox plays; they differ in body rules and answer shapes.
public enum SandboxAPI: String, Sendable, Codable {
    /// `POST /messages` on waba-v2: Meta's Graph shapes.
    case cloud
    /// `POST /v1/messages` on the legacy On-Premise host: `errors` array and `meta`.
    case onpremise
}
