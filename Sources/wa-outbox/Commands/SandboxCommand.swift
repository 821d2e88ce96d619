import ArgumentParser
import Foundation
import Logging
import Sandbox
import ServiceLifecycle

/// `wa-outbox sandbox`: the built-in 360dialog simulator.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the built-in 360dialog simulator on loopback (for the demo, tests and benchmarks).",
        discussion: """
            Plays the Cloud API (POST /messages) and the On-Premise API (POST /v1/messages). \
            Faults can be changed while it runs: PUT /sandbox/faults with a JSON body such as \
            {"server_error_rate":0.1,"too_many_requests_rate":0.05,"slow_rate":0.1,"slow_millis":500,"drop_rate":0.01,\
            "recipients":[{"to":"+4915100000001","code":131026,"times":1}]}; GET /sandbox/received lists what it accepted.
            WhatsApp's rules are off unless asked for: --pair-limit (131056 when a recipient gets a second message within \
            the pair interval), --window-rule (131047/470 for a non-template message to a user who has not written \
            through POST /sandbox/inbound within the window), --messages-per-second (130429/429 for keys without a limit \
            of their own). Change them while it runs with PUT /sandbox/rules, e.g. {"pair_limit":true,"window_rule":true}; \
            GET /sandbox/stats counts each rule's refusals per key.
            """)

    @Option(help: "Where to listen, HOST:PORT.")
    var listen: String = "127.0.0.1:9090"

    @Option(name: .customLong("key"), help: "A valid D360-API-KEY, optionally with a per-key limit: KEY or KEY=MPS. Repeat for more. None: any non-empty key is accepted.")
    var keys: [String] = []

    @Option(name: .customLong("webhook"), help: "KEY=URL: deliver status and inbound webhooks for this key to URL (repeat for more keys).")
    var webhooks: [String] = []

    @Option(help: "Milliseconds between the sent, delivered and read webhooks of a message.")
    var statusDelay: Int = 20

    @Option(help: "A JSON file with the faults to inject from the start.")
    var faults: String?

    @Option(help: "Seed for the random fault rates.")
    var seed: UInt64 = 1

    @Flag(help: "Do not keep request bodies (for long benchmarks).")
    var noBodies = false

    @Flag(help: "Enforce the pair rate limit: refuse with 131056 a message to a recipient that comes within the pair interval of the previous one from the same key.")
    var pairLimit = false

    @Option(help: "The pair limit's interval, in milliseconds (Meta: 6000).")
    var pairIntervalMs: Int = SandboxRules.metaPairIntervalMillis

    @Option(help: "Messages a recipient may get in a burst within one pair interval, each paid back one interval later (Meta: 45; 1 allows no burst).")
    var pairBurst: Int = 1

    @Flag(help: "Enforce the 24-hour window: refuse with 131047 (On-Premise 470) a non-template message to a user who has not written to the key's number (POST /sandbox/inbound) within the window.")
    var windowRule = false

    @Option(help: "The window's length, in seconds (Meta: 86400).")
    var windowSeconds: Int = SandboxRules.metaWindowSeconds

    @Option(help: "Throughput limit of every key without its own KEY=MPS, in messages per second; more in any one-second window are refused with 130429 (On-Premise 429). 0: unlimited.")
    var messagesPerSecond: Int = 0

    /// The rules the options ask for.
    var rules: SandboxRules {
        SandboxRules(
            pairLimit: pairLimit, pairIntervalMillis: pairIntervalMs, pairBurst: pairBurst,
            windowRule: windowRule, windowSeconds: windowSeconds, messagesPerSecond: messagesPerSecond)
    }

    func validate() throws {
        guard (1...SandboxRules.maxPairIntervalMillis).contains(pairIntervalMs) else {
            throw ValidationError("--pair-interval-ms must be 1 to \(SandboxRules.maxPairIntervalMillis) (one day)")
        }
        guard pairBurst >= 1 else { throw ValidationError("--pair-burst must be at least 1") }
        guard (1...SandboxRules.maxWindowSeconds).contains(windowSeconds) else {
            throw ValidationError("--window-seconds must be 1 to \(SandboxRules.maxWindowSeconds) (365 days)")
        }
        guard messagesPerSecond >= 0 else { throw ValidationError("--messages-per-second must not be negative (0: unlimited)") }
    }

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw CLIError("--listen '\(listen)' is not HOST:PORT")
        }
        var config = SandboxConfiguration(
            host: String(listen[..<colon]), port: port, rules: rules, seed: seed, recordBodies: !noBodies, statusDelayMillis: statusDelay)
        for k in keys {
            let parts = k.split(separator: "=", maxSplits: 1).map(String.init)
            guard let key = parts.first, !key.isEmpty else { throw CLIError("--key must not be empty") }
            let mps = parts.count > 1 ? Int(parts[1]) : 0
            guard let mps, mps >= 0 else { throw CLIError("--key \(key)=...: the limit must be a whole number of messages per second") }
            config.keys[key] = SandboxKey(messagesPerSecond: mps)
        }
        for w in webhooks {
            let parts = w.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw CLIError("--webhook must be KEY=URL, not '\(w)'") }
            config.keys[parts[0], default: SandboxKey()].webhookURL = parts[1]
        }
        if let faults {
            guard let data = FileManager.default.contents(atPath: faults) else { throw CLIError("cannot read \(faults)") }
            do {
                config.faults = try JSONDecoder().decode(SandboxFaults.self, from: data)
            } catch {
                throw CLIError("\(faults): not a faults document: \(error)")
            }
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "sandbox")
        let server = SandboxServer(configuration: config, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
