import Foundation
import OutboxCore
import Synchronization

/// The sandbox's shared state: the ledger of decisions and received messages behind a
/// `Mutex`, read by tests and the control endpoints, written by every `/messages` request;
/// plus the webhook queue and the log of webhook deliveries (see `SandboxState+Webhooks.swift`).
public final class SandboxState: Sendable {
    let ledger: Mutex<TrafficLedger>
    let format: WamidFormat
    /// Whether request bodies go into the received log and the delivery log.
    let recordBodies: Bool
    /// Webhook jobs on their way to `WebhookCourier`.
    let webhookQueue = WebhookQueue()
    /// Every webhook POST attempt, oldest first, bounded.
    let deliveries: Mutex<RingBuffer<WebhookDelivery>>
    /// Serial of the last simulated inbound message; ids use the upper half of the serial
    /// space so they never meet an accepted message's id.
    let inboundSerial = Atomic<UInt64>(0)
    /// Template-list requests answered (`GET /v1/configs/templates`).
    let templateLists = Atomic<Int>(0)
    /// The sandbox's time: the rules' windows, the received log's times and the webhooks'
    /// timestamps. Pauses (slow faults, webhook delays and retries) are real time whatever it is.
    let clock: any OutboxClock

    init(configuration: SandboxConfiguration, format: WamidFormat = WamidFormat(), clock: any OutboxClock = SystemClock()) {
        self.ledger = Mutex(TrafficLedger(configuration: configuration))
        self.clock = clock
        self.format = format
        self.recordBodies = configuration.recordBodies
        self.deliveries = Mutex(RingBuffer(capacity: configuration.maxRecordedDeliveries))
    }

    /// Decides one `/messages` request. The clock is read under the lock so the windows see
    /// request starts in order.
    func handle(_ attempt: MessageAttempt) -> SandboxVerdict {
        ledger.withLock { $0.handle(attempt, now: clock.now()) }
    }

    /// Whether `key` may call the API (see `TrafficLedger.accepts(key:)`).
    func accepts(key: String?) -> Bool {
        ledger.withLock { $0.accepts(key: key) }
    }

    /// The id answered for the accepted message `serial`.
    func messageID(serial: UInt64, api: SandboxAPI) -> String {
        format.id(serial: serial, api: api)
    }

    /// Every accepted message (2xx) still in the log, oldest first.
    public func received() -> [ReceivedMessage] {
        received(to: nil)
    }

    /// The accepted messages for one recipient (matched on digits), or all when `to` is nil.
    public func received(to: String?) -> [ReceivedMessage] {
        let records = ledger.withLock { $0.records.elements }
        guard let to else { return records.map { $0.message(format: format) } }
        let digits = PhoneNumber.digits(of: to)
        return records.filter { PhoneNumber.digits(of: $0.to) == digits }.map { $0.message(format: format) }
    }

    /// Every `/messages` request since start or reset, whatever the answer.
    public func requestCount() -> Int {
        ledger.withLock { $0.requests }
    }

    /// Requests, accepted and refused since start or reset, the rules' refusals and, per key,
    /// the pacing figures (see `SandboxStats`).
    /// `over`: count windows over this many arrivals instead of each key's throughput limit.
    public func stats(over: Int? = nil) -> SandboxStats {
        ledger.withLock { $0.stats(over: over) }
    }

    /// The figures of one key (the full key), or nil when it has not sent since start or reset.
    public func stats(key: String, over: Int? = nil) -> SandboxKeyStats? {
        ledger.withLock { $0.stats(key: key, over: over) }
    }

    /// The sandbox clock now: a request's arrival, read when its head is.
    func arrivalTime() -> Int64 { clock.now() }

    /// The rules in force.
    public func rules() -> SandboxRules {
        ledger.withLock { $0.rules }
    }

    /// Replaces the rules; earlier traffic and users' messages count under the new ones.
    ///
    /// - Throws: `SandboxError.invalidRules` naming the field when `rules.problem` is set.
    public func setRules(_ rules: SandboxRules) throws(SandboxError) {
        if let problem = rules.problem { throw .invalidRules(problem) }
        ledger.withLock { $0.setRules(rules) }
    }

    /// What faults change in the answer for these digits: another wa_id (`SandboxFaults.waIDs`),
    /// and whether Meta "holds it for a quality check" (`heldForQuality`).
    func answerFaults(for digits: String) -> (waID: String?, held: Bool) {
        ledger.withLock { l in
            l.faults.waIDs.isEmpty && l.faults.heldForQuality.isEmpty ? (nil, false)
                : (l.faults.waIDs[digits], l.faults.heldForQuality.contains(digits))
        }
    }

    /// The faults in force.
    public func faults() -> SandboxFaults {
        ledger.withLock { $0.faults }
    }

    /// Replaces the faults; recipient faults start again with their full `times`.
    public func setFaults(_ faults: SandboxFaults) {
        ledger.withLock { $0.setFaults(faults) }
    }

    /// Forgets recorded traffic, counters, pair pacing, the users' messages (their windows
    /// close) and webhook deliveries, re-arms recipient faults and reseeds the fault
    /// generators. Faults, rules and webhook configs stay as set; webhooks already queued are
    /// still sent.
    public func reset() {
        ledger.withLock { $0.reset() }
        deliveries.withLock { $0.removeAll() }
    }

    /// The most requests with `key` (the full key) in any one-second window, whatever their
    /// answer; how benchmarks check that a sender kept to its rate.
    public func maxRequestsInAnyOneSecondWindow(key: String) -> Int {
        ledger.withLock { $0.traffic[key]?.all.peak ?? 0 }
    }
}
