import Logging
import OutboxCore
import OutboxStore
import Synchronization
import WhatsApp

/// Sends one channel's queue: claims due messages, starts each request when the rate limiter
/// allows, keeps at most `maxInFlight` requests open, and hands every finished attempt to the
/// recorder with the policy's decision. One worker per channel, so a slow, failing or paused
/// channel never delays another.
struct ChannelWorker: Sendable {
    let runtime: ChannelRuntime
    let store: OutboxStore
    let transport: any MessageTransport
    let recorder: AttemptRecorder
    let policy: RetryPolicy
    let sender: SenderSettings
    let clock: any OutboxClock
    let logger: Logger
    let stopping: StopFlag
    let drainTimeoutMillis: Int64
    let metrics: OutboxMetrics

    /// Read once per claim step (a reload may change it between steps), never per message.
    private var config: ChannelConfig { runtime.config }

    func run() async {
        var limiter = RateLimiter(limit: config.messagesPerSecond)
        await withDiscardingTaskGroup { sends in
            while !stopping.isSet, !Task.isCancelled {
                do {
                    try await step(&limiter, sends: &sends)
                } catch {
                    logger.error("channel worker: database error; retrying in 1s", metadata: ["channel": "\(config.name)", "error": "\(error)"])
                    await runtime.doorbell.wait(until: clock.now() + Nanos.perSecond, clock: clock)
                }
            }
            await drain()
            if runtime.inFlight > 0 {
                logger.warning("drain timeout: cutting off requests still in flight; their outcome is unknown",
                               metadata: ["channel": "\(config.name)", "in_flight": "\(runtime.inFlight)"])
                sends.cancelAll()
            }
        }
    }

    /// One round: wait while paused or full, claim a batch, start each when the limiter allows.
    private func step(_ limiter: inout RateLimiter, sends: inout DiscardingTaskGroup) async throws {
        let now = clock.now()
        let config = self.config
        let maxInFlight = config.maxInFlight ?? sender.maxInFlight
        let (limit, adaptive) = runtime.currentLimit(nowMillis: now / Nanos.perMillisecond)
        if limit != limiter.limit {
            logger.notice("channel rate changed", metadata: ["channel": "\(config.name)", "limit_mps": "\(limit)", "configured_mps": "\(config.messagesPerSecond)"])
            limiter.setLimit(limit)
            try await store.saveRate(channel: config.name, mps: adaptive)
        }
        if let pause = runtime.pause(nowMillis: now / Nanos.perMillisecond) {
            let until = pause.untilMillis.map(TimeMath.nanos(millis:)) ?? now + 60 * Nanos.perSecond
            await runtime.doorbell.wait(until: until, clock: clock)
            return
        }
        let free = maxInFlight - runtime.inFlight
        // Claim in batches: waiting for a quarter of the slots to free up keeps claims (each a
        // durable transaction) few when the channel is busy.
        if free < max(1, maxInFlight / 4) {
            await runtime.doorbell.wait(until: now + Nanos.perSecond, clock: clock)
            return
        }
        // A limited channel claims about 100 ms worth, so claimed messages do not wait long.
        let batch = limiter.limit > 0 ? min(free, max(1, limiter.limit / 10)) : free
        let claimed = try await store.claim(channel: config.name, nowMillis: now / Nanos.perMillisecond, limit: batch, rules: config.rules,
                                           reach: config.messagingLimit)
        if claimed.isEmpty {
            var next = try await store.nextDue(channel: config.name).map(TimeMath.nanos(millis:)) ?? .max
            if next <= now {
                // Due messages, all held by pacing or a retry: wait for the first hold to end.
                next = try await store.earliestHold(channel: config.name, nowMillis: now / Nanos.perMillisecond).map(TimeMath.nanos(millis:)) ?? now + Nanos.perSecond
            }
            await runtime.doorbell.wait(until: min(next, now + 60 * Nanos.perSecond), clock: clock)
            return
        }
        for (i, message) in claimed.enumerated() {
            // Pair pacing is the claim's: a recipient is claimed only an interval after its last answer, never while a request is open.
            let allowed = limiter.nextAllowed(now: clock.now())
            if allowed > clock.now() { try? await clock.sleep(until: allowed) }
            let start = clock.now()
            if stopping.isSet || runtime.pause(nowMillis: start / Nanos.perMillisecond) != nil {
                try await store.release(claimed[i...].map(\.id), nowMillis: start / Nanos.perMillisecond)
                return
            }
            limiter.record(now: start)
            runtime.started(atMillis: start / Nanos.perMillisecond)
            sends.addTask { await send(message, startedAt: start, config: config) }
        }
    }

    private func send(_ message: ClaimedMessage, startedAt start: Int64, config: ChannelConfig) async {
        let result: SendResult
        do {
            let body = config.api == .cloud
                ? RequestBody.cloud(payload: message.payload, to: message.recipient, callbackData: store.callbackData(for: message.id))
                : try RequestBody.onPremise(payload: message.payload, to: message.recipient)
            result = await transport.send(OutboundRequest(
                url: config.messagesURL, apiKey: config.apiKey.value, body: body,
                timeoutMillis: sender.requestTimeoutMillis, api: config.api))
        } catch {
            result = .failed(APIFailure(httpStatus: nil, code: nil, title: "cannot build the request", details: "\(error)"), .permanent, retryAfterMillis: nil)
        }
        let end = clock.now()
        if case .failed(_, let meaning, _) = result, meaning.has(.throughput) || meaning.has(.spamRestriction) {
            runtime.throttled(nowMillis: end / Nanos.perMillisecond)
            if meaning.has(.spamRestriction) {
                logger.warning("spam rate limit: the channel's normal and bulk traffic is held (15 min, 1 h, then 6 h as it repeats) and its rate lowered",
                               metadata: ["channel": "\(config.name)", "message.id": "\(message.id)"])
            }
        }
        var rng = SystemRandomNumberGenerator()
        let decision = SendDecision.after(
            result, history: message.history.adding(result.outcome), createdMillis: message.createdMillis,
            nowMillis: end / Nanos.perMillisecond, policy: policy, rng: &rng)
        if case .pauseChannel(let reason, let until) = decision, runtime.pause(nowMillis: end / Nanos.perMillisecond) == nil {
            logger.error("channel paused", metadata: ["channel": "\(config.name)", "reason": "\(reason)"])
            runtime.setPause(ChannelPause(reason: reason, sinceMillis: end / Nanos.perMillisecond, untilMillis: until))
        }
        metrics.attempt(channel: config.name, result: result, decision: decision, nanos: end - start)
        logger.debug("attempt", metadata: [
            "message.id": "\(message.id)", "channel": "\(config.name)", "outcome": "\(result.outcome.rawValue)",
            "error_class": "\(OutboxMetrics.errorClass(result))", "latency_ms": "\((end - start) / Nanos.perMillisecond)",
        ])
        recorder.add(AttemptRecord(
            message: message, startedMillis: start / Nanos.perMillisecond, latencyMillis: (end - start) / Nanos.perMillisecond,
            result: result, decision: decision, holdOnRetry: config.rules.holdOnRetry,
            pairIntervalMillis: config.rules.pairIntervalMillis))
        runtime.finished(result.outcome, decision: decision, atMillis: end / Nanos.perMillisecond)
    }

    /// Lets in-flight requests finish, for at most the drain timeout.
    private func drain() async {
        let deadline = TimeMath.add(clock.now(), TimeMath.nanos(millis: drainTimeoutMillis))
        while runtime.inFlight > 0, clock.now() < deadline, !Task.isCancelled {
            await runtime.doorbell.wait(until: deadline, clock: clock)
        }
    }
}

/// Set once when the daemon begins to stop.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}
