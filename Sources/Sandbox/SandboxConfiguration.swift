/// How a `SandboxServer` listens, which keys it accepts and which faults it injects.
///
/// Every field has a default, so `SandboxConfiguration()` is a sandbox on 127.0.0.1:9090 that
/// accepts any non-empty key, answers every valid message with success and records it.
public struct SandboxConfiguration: Sendable {
    /// Interface to bind. Loopback by default: the sandbox is not meant to be reachable.
    public var host: String
    /// TCP port; 0 picks a free port (read it back with `SandboxServer.waitUntilListening()`).
    public var port: Int
    /// Valid `D360-API-KEY` values and their limits. Empty accepts any non-empty key.
    public var keys: [String: SandboxKey]
    /// Faults injected from the start; change them later with `SandboxState.setFaults(_:)`.
    public var faults: SandboxFaults
    /// Seed of the generator behind the random fault rates, so a run is reproducible.
    public var seed: UInt64
    /// Whether `ReceivedMessage.body` keeps the request body. Turn off for long benchmarks.
    public var recordBodies: Bool
    /// How many accepted messages the received log keeps; older entries are forgotten first.
    public var maxRecorded: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 9090,
        keys: [String: SandboxKey] = [:],
        faults: SandboxFaults = .init(),
        seed: UInt64 = 1,
        recordBodies: Bool = true,
        maxRecorded: Int = 1_000_000
    ) {
        self.host = host
        self.port = port
        self.keys = keys
        self.faults = faults
        self.seed = seed
        self.recordBodies = recordBodies
        self.maxRecorded = maxRecorded
    }
}
