/// The sandbox's decisions and records: checks the key, applies recipient faults, random
/// faults, the throughput limit and the rules (window, pair), logs what it accepted, and
/// plans the status webhooks of accepted messages (see `TrafficLedger+Webhooks.swift`).
///
/// A pure state machine: time comes in as `now` (nanoseconds of the sandbox clock),
/// randomness from the seeded generator, and the result is a `SandboxVerdict` that the
/// controller carries out. `SandboxState` keeps it under a lock.
struct TrafficLedger: Sendable {
    /// What one key did: request windows, counters and its recipients' pacing.
    struct KeyTraffic: Sendable {
        /// Every request with the key, whatever the answer; source of the peak statistic.
        var all = RequestWindow()
        /// Requests accepted; what the throughput limit counts.
        var admitted = RequestWindow()
        /// Every request's arrival (head read), for the exact sliding-window figures.
        var arrivals = ArrivalLog()
        /// Accepted messages per recipient: the pair rule and the gap statistic.
        var pairs = PairBook()
        var requests = 0
        var accepted = 0
        var pairViolations = 0
        var windowViolations = 0
        var throughputViolations = 0
    }

    let keys: [String: SandboxKey]
    let seed: UInt64
    private(set) var faults: SandboxFaults
    /// The rules in force; change them with `setRules(_:)`.
    private(set) var rules: SandboxRules
    /// When users last wrote to each key's number.
    private var windows = WindowBook()
    /// The latest `now` seen; a clock that steps back is held here so windows stay ordered.
    private var lastNow: Int64 = .min
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
    /// The template catalog: listed by `/v1/configs/templates`, paused ones answered 132015.
    var catalog = SandboxCatalog.standard

    init(configuration: SandboxConfiguration) {
        self.keys = configuration.keys
        self.seed = configuration.seed
        self.faults = configuration.faults
        self.rules = configuration.rules
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

    /// Decides one request arriving at `now` (nanoseconds since 1970 on the sandbox clock).
    mutating func handle(_ attempt: MessageAttempt, now clockNow: Int64) -> SandboxVerdict {
        // The API counts a request when it arrives; its head was read before its body.
        let now = max(attempt.arrival.map { min($0, clockNow) } ?? clockNow, lastNow)
        lastNow = now
        requests += 1
        let number = requests
        guard accepts(key: attempt.key), let key = attempt.key else {
            return SandboxVerdict(outcome: .gatewayError(status: 401, message: "Invalid api_key"), requestNumber: number)
        }
        let slot = slot(of: key)
        traffic.values[slot].requests += 1
        traffic.values[slot].all.record(now)
        traffic.values[slot].arrivals.record(attempt.arrival ?? now)
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
                return accept(message, attempt: attempt, key: key, slot: slot, now: now,
                              delay: max(0, fault.delayMillis ?? 0), number: number, failureCode: fault.code)
            }
            return SandboxVerdict(outcome: Self.outcome(of: fault, api: attempt.api), delayMillis: max(0, fault.delayMillis ?? 0), requestNumber: number)
        }
        if let refusal = templateRefusal(message, api: attempt.api) {
            return SandboxVerdict(outcome: refusal, requestNumber: number)
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
        let limit = throughputLimit(key: key)
        if limit > 0, traffic.values[slot].admitted.count(at: now) >= limit {
            traffic.values[slot].throughputViolations += 1
            let outcome = SandboxVerdict.Outcome.apiError(
                status: 400, code: Self.throughputCode(attempt.api), details: "Cloud API message throughput has been reached.", retryAfterSeconds: nil)
            return SandboxVerdict(outcome: outcome, delayMillis: delay, requestNumber: number)
        }
        if rules.windowRule || rules.pairLimit {
            let recipient = PairBook.id(digits: message.waID)
            if rules.windowRule, message.type != "template",
               !windows.isOpen(key: key, user: recipient, now: now, window: windowNanos) {
                traffic.values[slot].windowViolations += 1
                return SandboxVerdict(outcome: Self.windowOutcome(attempt.api), delayMillis: delay, requestNumber: number)
            }
            if rules.pairLimit,
               !traffic.values[slot].pairs.allows(recipient, now: now, interval: pairIntervalNanos, burst: rules.pairBurst) {
                traffic.values[slot].pairViolations += 1
                return SandboxVerdict(outcome: Self.pairOutcome, delayMillis: delay, requestNumber: number)
            }
        }
        return accept(message, attempt: attempt, key: key, slot: slot, now: now, delay: delay, number: number)
    }

    /// Admits, numbers and logs a message, and plans its status webhooks; `failureCode`
    /// (an async recipient fault) makes the plan a single `failed`.
    private mutating func accept(
        _ message: ValidMessage, attempt: MessageAttempt, key: String, slot: Dictionary<String, KeyTraffic>.Index,
        now: Int64, delay: Int, number: Int, failureCode: Int? = nil
    ) -> SandboxVerdict {
        traffic.values[slot].admitted.record(now)
        traffic.values[slot].accepted += 1
        traffic.values[slot].pairs.record(PairBook.id(digits: message.waID), now: now, interval: pairIntervalNanos)
        serial += 1
        accepted += 1
        records.append(ReceivedRecord(
            serial: serial, api: attempt.api, keyFingerprint: ReceivedRecord.fingerprint(of: key),
            to: message.to, type: message.type, callbackData: message.callbackData,
            receivedAtMillis: now / 1_000_000, body: attempt.body))
        var verdict = SandboxVerdict(outcome: .accepted(serial: serial), delayMillis: delay, requestNumber: number)
        if !webhooks.isEmpty {
            verdict.webhook = statusPlan(key: key, afterMillis: delay, failureCode: failureCode)
        }
        return verdict
    }

    /// Where `key`'s traffic is kept, made on first use; valid until `traffic` changes shape.
    private mutating func slot(of key: String) -> Dictionary<String, KeyTraffic>.Index {
        if let slot = traffic.index(forKey: key) {
            return slot
        }
        traffic[key] = KeyTraffic()
        return traffic.index(forKey: key)!
    }

    /// The throughput limit of `key`: its own, else the rules' default; 0 is unlimited.
    func throughputLimit(key: String) -> Int {
        let own = keys[key]?.messagesPerSecond ?? 0
        return own > 0 ? own : rules.messagesPerSecond
    }

    /// The rules' durations in nanoseconds, clamped to what `SandboxRules.problem` allows so
    /// rules set through the Swift API cannot overflow.
    private var pairIntervalNanos: Int64 {
        Int64(min(max(rules.pairIntervalMillis, 0), SandboxRules.maxPairIntervalMillis)) * 1_000_000
    }
    private var windowNanos: Int64 {
        Int64(min(max(rules.windowSeconds, 0), SandboxRules.maxWindowSeconds)) * 1_000_000_000
    }

    /// Replaces the rules; what was sent and received so far still counts under the new ones.
    mutating func setRules(_ rules: SandboxRules) {
        self.rules = rules
    }

    /// Notes that `from` wrote to `key`'s number at `now`, opening (or renewing) the window.
    mutating func noteInbound(key: String, from: String, now: Int64) {
        windows.record(key: key, user: PairBook.id(digits: PhoneNumber.digits(of: from)), now: now, window: windowNanos)
    }

    /// The counters: totals and one entry per key that sent, ordered by fingerprint. Windows
    /// over the limit are counted against `over`, else each key's throughput limit.
    func stats(over: Int? = nil) -> SandboxStats {
        var perKey = traffic.map { keyStats($0.key, $0.value, over: over) }
        perKey.sort { ($0.key, $0.phoneNumberID) < ($1.key, $1.phoneNumberID) }
        return SandboxStats(
            requests: requests, accepted: accepted, refused: requests - accepted,
            pairViolations: perKey.reduce(0) { $0 + $1.pairViolations },
            windowViolations: perKey.reduce(0) { $0 + $1.windowViolations },
            throughputViolations: perKey.reduce(0) { $0 + $1.throughputViolations },
            keys: perKey)
    }

    /// The counters of one key (the full key), or nil when it has not sent.
    func stats(key: String, over: Int? = nil) -> SandboxKeyStats? {
        traffic[key].map { keyStats(key, $0, over: over) }
    }

    private func keyStats(_ key: String, _ t: KeyTraffic, over: Int?) -> SandboxKeyStats {
        let limit = over ?? throughputLimit(key: key)
        let arrivals = t.arrivals.figures(limit: limit)
        var stats = SandboxKeyStats(
            key: ReceivedRecord.fingerprint(of: key),
            phoneNumberID: FakeAccount(key: key, phoneNumberID: keys[key]?.phoneNumberID).phoneNumberID,
            requests: t.requests, accepted: t.accepted,
            pairViolations: t.pairViolations, windowViolations: t.windowViolations,
            throughputViolations: t.throughputViolations, messagesPerSecond: throughputLimit(key: key),
            minPairGapMillis: t.pairs.minGap.map { Int($0 / 1_000_000) },
            maxAcceptedPerSecond: t.admitted.peak, maxRequestsPerSecond: t.all.peak)
        stats.busiestArrivalSecond = arrivals.busiest
        stats.windowsOver = arrivals.over
        stats.overLimit = limit > 0 ? limit : nil
        return stats
    }

    /// Replaces the faults; recipient faults start again with their full `times`.
    mutating func setFaults(_ faults: SandboxFaults) {
        self.faults = faults
        self.faultBook = RecipientFaultBook(faults.recipients)
    }

    /// Forgets the traffic (log, counters, request windows, pair pacing) and the users'
    /// messages (customer service windows), re-arms the recipient faults and reseeds the
    /// generators. Faults, rules and webhook configs stay as set; message serials keep counting.
    mutating func reset() {
        records.removeAll()
        requests = 0
        accepted = 0
        traffic = [:]
        windows.removeAll()
        faultBook = RecipientFaultBook(faults.recipients)
        random = SplitMix64(seed: seed)
        webhookRandom = SplitMix64(seed: Self.webhookSeed(seed))
    }

    /// The code of a throughput refusal: Cloud 130429, On-Premise 429.
    static func throughputCode(_ api: SandboxAPI) -> Int {
        api == .cloud ? 130429 : 429
    }

    /// The pair rule's refusal: 131056 in both shapes. WHATSAPP-API.md §3.2 lists no
    /// On-Premise code for it (On-Premise 429 is the number's throughput), so the On-Premise
    /// answer carries the Cloud code in its `errors` array; the daemon classifies it as a pair
    /// limit either way.
    static let pairOutcome = SandboxVerdict.Outcome.apiError(
        status: 400, code: 131056,
        details: "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.",
        retryAfterSeconds: nil)

    /// The window rule's refusal: Cloud 131047, On-Premise 470.
    static func windowOutcome(_ api: SandboxAPI) -> SandboxVerdict.Outcome {
        .apiError(
            status: 400, code: api == .cloud ? 131047 : 470,
            details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
            retryAfterSeconds: nil)
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
        case 403:
            // 360dialog's gateway refusing the endpoint itself: no Meta code in the answer.
            return .gatewayError(status: status, message: "The endpoint is blocked")
        default:
            let title = ErrorCatalog.title(code: fault.code, api: api)
            return .apiError(status: status, code: fault.code, details: "\(title) (sandbox fault for this recipient)",
                             retryAfterSeconds: status == 429 ? 1 : nil)
        }
    }
}
