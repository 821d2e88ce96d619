/// The sandbox's decisions and records: checks the key, applies recipient faults, random
/// faults and the per-key throughput limit, logs what it accepted, and plans the status
/// webhooks of accepted messages (see `TrafficLedger+Webhooks.swift`).
///
/// A pure state machine: time comes in as `now`, randomness from the seeded generator, and
/// the result is a `SandboxVerdict` that the controller carries out. `SandboxState` keeps it
/// under a lock.
struct TrafficLedger: Sendable {
    /// Request start times of one key.
    struct KeyTraffic: Sendable {
        /// Every request with the key, whatever the answer; source of the peak statistic.
        var all = RequestWindow()
        /// Requests that passed the throughput limit; what the limit counts.
        var admitted = RequestWindow()
    }

    let keys: [String: SandboxKey]
    let seed: UInt64
    private(set) var faults: SandboxFaults
    private var faultBook: RecipientFaultBook
    private var random: SplitMix64
    private(set) var records: RingBuffer<ReceivedRecord>
    private(set) var requests = 0
    private(set) var accepted = 0
    private(set) var traffic: [String: KeyTraffic] = [:]
    /// Serial of the last accepted message. Never reset, so ids stay unique for the process.
    private var serial: UInt64 = 0
    /// Pause before each status webhook, in milliseconds.
    let statusDelayMillis: Int
    /// Webhook config per full key; empty keeps the send path free of webhook work.
    var webhooks: [String: SandboxWebhook]
    /// Draws the webhook duplicates, apart from `random` so they do not shift the answers.
    var webhookRandom: SplitMix64

    init(configuration: SandboxConfiguration) {
        self.keys = configuration.keys
        self.seed = configuration.seed
        self.faults = configuration.faults
        self.faultBook = RecipientFaultBook(configuration.faults.recipients)
        self.random = SplitMix64(seed: configuration.seed)
        self.records = RingBuffer(capacity: configuration.maxRecorded)
        self.statusDelayMillis = max(0, configuration.statusDelayMillis)
        self.webhooks = configuration.keys.compactMapValues(\.webhook)
        self.webhookRandom = SplitMix64(seed: Self.webhookSeed(configuration.seed))
    }

    /// Whether `key` may call the API: non-empty, and one of the keys when keys are set.
    func accepts(key: String?) -> Bool {
        guard let key, !key.isEmpty else { return false }
        return keys.isEmpty || keys[key] != nil
    }

    mutating func handle(_ attempt: MessageAttempt, now: ContinuousClock.Instant, wallMillis: Int64) -> SandboxVerdict {
        requests += 1
        let number = requests
        guard accepts(key: attempt.key), let key = attempt.key else {
            return SandboxVerdict(outcome: .gatewayError(status: 401, message: "Invalid api_key"), requestNumber: number)
        }
        traffic[key, default: KeyTraffic()].all.record(now)
        let message: ValidMessage
        switch attempt.message {
        case .failure(let rejection):
            let outcome = SandboxVerdict.Outcome.apiError(
                status: 400, code: rejection.code(for: attempt.api), details: rejection.details, retryAfterSeconds: nil)
            return SandboxVerdict(outcome: outcome, requestNumber: number)
        case .success(let valid):
            message = valid
        }
        if !faultBook.isEmpty, let fault = faultBook.take(digits: message.waID) {
            if fault.async {
                return accept(message, attempt: attempt, key: key, now: now, wallMillis: wallMillis,
                              delay: max(0, fault.delayMillis ?? 0), number: number, failureCode: fault.code)
            }
            return SandboxVerdict(outcome: Self.outcome(of: fault, api: attempt.api), delayMillis: max(0, fault.delayMillis ?? 0), requestNumber: number)
        }
        var delay = 0
        if random.chance(faults.dropRate) {
            return SandboxVerdict(outcome: .drop, requestNumber: number)
        }
        if random.chance(faults.serverErrorRate) {
            return SandboxVerdict(outcome: .gatewayError(status: 500, message: "Internal server error"), requestNumber: number)
        }
        if random.chance(faults.tooManyRequestsRate) {
            let outcome = SandboxVerdict.Outcome.apiError(
                status: 429, code: Self.throughputCode(attempt.api), details: "Too many requests. Retry after 1 second.", retryAfterSeconds: 1)
            return SandboxVerdict(outcome: outcome, requestNumber: number)
        }
        if random.chance(faults.slowRate) {
            delay = max(0, faults.slowMillis)
        }
        if let limit = keys[key]?.messagesPerSecond, limit > 0, traffic[key, default: KeyTraffic()].admitted.count(at: now) >= limit {
            let outcome = SandboxVerdict.Outcome.apiError(
                status: 400, code: Self.throughputCode(attempt.api), details: "Cloud API message throughput has been reached.", retryAfterSeconds: nil)
            return SandboxVerdict(outcome: outcome, delayMillis: delay, requestNumber: number)
        }
        return accept(message, attempt: attempt, key: key, now: now, wallMillis: wallMillis, delay: delay, number: number)
    }

    /// Admits, numbers and logs a message, and plans its status webhooks; `failureCode`
    /// (an async recipient fault) makes the plan a single `failed`.
    private mutating func accept(
        _ message: ValidMessage, attempt: MessageAttempt, key: String, now: ContinuousClock.Instant, wallMillis: Int64,
        delay: Int, number: Int, failureCode: Int? = nil
    ) -> SandboxVerdict {
        traffic[key, default: KeyTraffic()].admitted.record(now)
        serial += 1
        accepted += 1
        records.append(ReceivedRecord(
            serial: serial, api: attempt.api, keyFingerprint: ReceivedRecord.fingerprint(of: key),
            to: message.to, type: message.type, callbackData: message.callbackData,
            receivedAtMillis: wallMillis, body: attempt.body))
        var verdict = SandboxVerdict(outcome: .accepted(serial: serial), delayMillis: delay, requestNumber: number)
        if !webhooks.isEmpty {
            verdict.webhook = statusPlan(key: key, afterMillis: delay, failureCode: failureCode)
        }
        return verdict
    }

    /// Replaces the faults; recipient faults start again with their full `times`.
    mutating func setFaults(_ faults: SandboxFaults) {
        self.faults = faults
        self.faultBook = RecipientFaultBook(faults.recipients)
    }

    /// Forgets the traffic (log, counters, windows), re-arms the recipient faults and
    /// reseeds the generators. Faults and webhook configs stay as set; message serials keep
    /// counting.
    mutating func reset() {
        records.removeAll()
        requests = 0
        accepted = 0
        traffic = [:]
        faultBook = RecipientFaultBook(faults.recipients)
        random = SplitMix64(seed: seed)
        webhookRandom = SplitMix64(seed: Self.webhookSeed(seed))
    }

    /// The code of a throughput refusal: Cloud 130429, On-Premise 429.
    static func throughputCode(_ api: SandboxAPI) -> Int {
        api == .cloud ? 130429 : 429
    }

    /// The answer a recipient fault stands for (see `RecipientFault`).
    static func outcome(of fault: RecipientFault, api: SandboxAPI) -> SandboxVerdict.Outcome {
        let status = fault.httpStatus ?? ErrorCatalog.defaultHTTPStatus(code: fault.code)
        switch fault.code {
        case 0:
            return .drop
        case 401:
            return .gatewayError(status: status, message: "Invalid api_key")
        case 500:
            return .gatewayError(status: status, message: "Internal server error")
        default:
            let title = ErrorCatalog.title(code: fault.code, api: api)
            return .apiError(status: status, code: fault.code, details: "\(title) (sandbox fault for this recipient)",
                             retryAfterSeconds: status == 429 ? 1 : nil)
        }
    }
}
