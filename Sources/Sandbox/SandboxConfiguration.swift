/// How a `SandboxServer` listens, which keys it accepts, which faults it injects, which
/// rules it enforces and how it delivers webhooks.
///
/// Every field has a default, so `SandboxConfiguration()` is a sandbox on 127.0.0.1:9090 that
/// accepts any non-empty key, answers every valid message with success and records it, and
/// sends no webhooks until a key gets a webhook URL.
public struct SandboxConfiguration: Sendable {
    /// Interface to bind. Loopback by default: the sandbox is not meant to be reachable.
    public var host: String
    /// TCP port; 0 picks a free port (read it back with `SandboxServer.waitUntilListening()`).
    public var port: Int
    /// Valid `D360-API-KEY` values and their limits. Empty accepts any non-empty key.
    public var keys: [String: SandboxKey]
    /// Faults injected from the start; change them later with `SandboxState.setFaults(_:)`.
    public var faults: SandboxFaults
    /// WhatsApp rules enforced from the start (all off by default); change them later with
    /// `SandboxState.setRules(_:)` or `PUT /sandbox/rules`.
    public var rules: SandboxRules
    /// Seed of the generator behind the random fault rates, so a run is reproducible.
    public var seed: UInt64
    /// Whether `ReceivedMessage.body` and `WebhookDelivery.body` keep the bodies. Turn off
    /// for long benchmarks.
    public var recordBodies: Bool
    /// How many accepted messages the received log keeps; older entries are forgotten first.
    public var maxRecorded: Int
    /// Pause before each status webhook of a message (`sent` after the answer, then
    /// `delivered`, then `read`), in milliseconds.
    public var statusDelayMillis: Int
    /// Tries per webhook event, the first included; 360dialog counts only HTTP 200 as
    /// delivered and retries anything else. At least 1.
    public var webhookAttempts: Int
    /// Pause before the first retry, in milliseconds; doubled before each further one.
    public var webhookBackoffMillis: Int
    /// How long one webhook POST may take before it counts as failed, in milliseconds
    /// (360dialog's hard limit is 5 s).
    public var webhookTimeoutMillis: Int
    /// How many webhook delivery attempts the delivery log keeps; older ones go first.
    public var maxRecordedDeliveries: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 9090,
        keys: [String: SandboxKey] = [:],
        faults: SandboxFaults = .init(),
        rules: SandboxRules = .init(),
        seed: UInt64 = 1,
        recordBodies: Bool = true,
        maxRecorded: Int = 1_000_000,
        statusDelayMillis: Int = 20,
        webhookAttempts: Int = 5,
        webhookBackoffMillis: Int = 50,
        webhookTimeoutMillis: Int = 5000,
        maxRecordedDeliveries: Int = 100_000
    ) {
        self.host = host
        self.port = port
        self.keys = keys
        self.faults = faults
        self.rules = rules
        self.seed = seed
        self.recordBodies = recordBodies
        self.maxRecorded = maxRecorded
        self.statusDelayMillis = statusDelayMillis
        self.webhookAttempts = webhookAttempts
        self.webhookBackoffMillis = webhookBackoffMillis
        self.webhookTimeoutMillis = webhookTimeoutMillis
        self.maxRecordedDeliveries = maxRecordedDeliveries
    }
}
