import Logging
import OutboxCore
import OutboxStore
import Synchronization
import WhatsApp

/// Sends one channel's queue: the loop that carries out its `ChannelPacer`'s actions. It
/// claims due messages in the background while earlier ones are sent, starts each when the
/// pacer allows (the transport reports when the request is written, which the pacer counts),
/// keeps at most `maxInFlight` requests open, hands every finished attempt to the recorder
/// with the policy's decision, and marks the channel unreachable (and back) as the pacer's
/// reachability says. One worker per channel, so a slow, failing or paused channel never
/// delays another.
struct ChannelWorker: Sendable {
    let runtime: ChannelRuntime
    let store: any OutboxStore
    let transport: any MessageTransport
    let recorder: AttemptRecorder
    let policy: RetryPolicy
    let sender: SenderSettings
    let clock: any OutboxClock
    let logger: Logger
    let stopping: StopFlag
    let drainTimeoutMillis: Int64
    let metrics: OutboxMetrics
    /// With several daemons: the lease this worker sends under. Every claim is fenced by its
    /// token, and no request starts unless the lease is trusted at that instant.
    var lease: ChannelLease? = nil

    /// The pacer and the claimed messages it counts as `buffered`, under one lock: the loop,
    /// the claims and the sends (their write reports) all touch them.
    final class Shared: Sendable {
        struct State {
            var pacer: ChannelPacer
            var claimed: [ClaimedMessage] = []
        }
        let state: Mutex<State>
        init(_ pacer: ChannelPacer) { state = Mutex(State(pacer: pacer)) }
    }

    /// Read once per action (a reload may change it), never per request.
    private var config: ChannelConfig { runtime.config }

    func run() async {
        let config = self.config
        let shared = Shared(ChannelPacer(
            window: ArrivalWindow(limit: config.messagesPerSecond, guardNanos: TimeMath.nanos(millis: sender.pacingGuardMillis)),
            reachability: Reachability(threshold: sender.unreachableAfter, firstProbeNanos: Nanos.perSecond,
                                       maxProbeNanos: TimeMath.nanos(millis: sender.probeMaxIntervalMillis)),
            maxInFlight: config.maxInFlight ?? sender.maxInFlight))
        await withDiscardingTaskGroup { tasks in
            await loop(shared, tasks: &tasks)
            await drain()
            if runtime.inFlight > 0 {
                logger.warning("drain timeout: cutting off requests still in flight; their outcome is unknown",
                               metadata: ["channel": "\(config.name)", "in_flight": "\(runtime.inFlight)"])
                tasks.cancelAll()
            } else if lease?.isLost == true {
                // A claim still waiting on the database (a connection the server dropped while
                // this daemon was frozen, say) must not keep the worker, and so the channel's
                // next lease, waiting: whatever it took is fenced, and the new owner settles it.
                tasks.cancelAll()
            }
        }
    }

    /// Asks the pacer for the next action and carries it out, until it says stop.
    private func loop(_ shared: Shared, tasks: inout DiscardingTaskGroup) async {
        var limit = config.messagesPerSecond
        while true {
            // Lost: start nothing more, and do not wait for a claim in progress to return.
            if lease?.isLost == true { return }
            let now = clock.now()
            let config = self.config
            let (current, adaptive) = runtime.currentLimit(nowMillis: now / Nanos.perMillisecond)
            if current != limit {
                limit = current
                logger.notice("channel rate changed", metadata: ["channel": "\(config.name)", "limit_mps": "\(current)", "configured_mps": "\(config.messagesPerSecond)"])
                shared.state.withLock { $0.pacer.setLimit(current) }
                do { try await store.saveRate(channel: config.name, mps: adaptive, nowMillis: now / Nanos.perMillisecond) } catch {
                    logger.error("cannot save the channel's rate", metadata: ["channel": "\(config.name)", "error": "\(error)"])
                }
            }
            var pausedUntil = runtime.pause(nowMillis: now / Nanos.perMillisecond).map { pause in
                pause.untilMillis.map(TimeMath.nanos(millis:)) ?? now + 60 * Nanos.perSecond
            }
            // The trust check, right before any start: in the handover gap, or while renewals
            // fail, the channel holds as if paused (unstarted claims go back to the queue).
            if let hold = lease?.holdOffMillis() {
                pausedUntil = min(pausedUntil ?? .max, TimeMath.add(now, TimeMath.nanos(millis: hold)))
            }
            if let lifted = runtime.takeLiftedPause(), let until = lifted.untilMillis {
                do { try await store.liftEndedPause(channel: config.name, untilMillis: until) } catch {
                    logger.error("cannot record the end of the channel's pause", metadata: ["channel": "\(config.name)", "error": "\(error)"])
                }
            }
            let maxInFlight = config.maxInFlight ?? sender.maxInFlight
            let stop = stopping.isSet || Task.isCancelled || lease?.isLost == true
            let (action, message) = shared.state.withLock { s -> (ChannelPacer.Action, ClaimedMessage?) in
                s.pacer.maxInFlight = maxInFlight
                let action = s.pacer.next(now: now, pausedUntil: pausedUntil, stopping: stop)
                if case .start = action { return (action, s.claimed.removeFirst()) }
                return (action, nil)
            }
            switch action {
            case .start(let ticket):
                guard let message else { continue }
                runtime.started(atMillis: now / Nanos.perMillisecond)
                tasks.addTask { await send(message, ticket: ticket, startedAt: now, config: config, shared: shared) }
            case .claim(let n):
                tasks.addTask { await claim(n, config: config, shared: shared) }
            case .release:
                let ids = shared.state.withLock { s -> [Int64] in
                    defer { s.claimed.removeAll(); s.pacer.released() }
                    return s.claimed.map(\.id)
                }
                do {
                    if let lease, let leased = store as? any LeaseStore {
                        try await leased.release(ids, nowMillis: clock.nowMillis(), token: lease.token)
                    } else {
                        try await store.release(ids, nowMillis: clock.nowMillis())
                    }
                } catch {
                    logger.error("cannot return claimed messages to the queue; they are settled at the next start",
                                 metadata: ["channel": "\(config.name)", "error": "\(error)", "messages": "\(ids.count)"])
                }
            case .pace(let until):
                try? await clock.sleep(until: until)
            case .wait(let until):
                if await runtime.doorbell.wait(until: until, clock: clock) {
                    shared.state.withLock { $0.pacer.woke() }
                }
            case .stop:
                return
            }
        }
    }

    /// Claims up to `limit` due messages for the pacer; when there are none, finds when the
    /// next may be due (or a hold on its recipient ends).
    private func claim(_ limit: Int, config: ChannelConfig, shared: Shared) async {
        let now = clock.now()
        do {
            let claimed: [ClaimedMessage]
            if let lease, let leased = store as? any LeaseStore {
                claimed = try await leased.claim(channel: config.name, nowMillis: now / Nanos.perMillisecond, limit: limit, rules: config.rules,
                                                 reach: config.messagingLimit, fence: (lease.daemon, lease.token))
            } else {
                claimed = try await store.claim(channel: config.name, nowMillis: now / Nanos.perMillisecond, limit: limit, rules: config.rules,
                                                reach: config.messagingLimit)
            }
            var nextDue: Int64?
            if claimed.isEmpty {
                var next = try await store.nextDue(channel: config.name).map { TimeMath.nanos(millis: $0) } ?? .max
                if next <= now {
                    // Due messages, all held by pacing or a retry: wait for the first hold to end.
                    next = try await store.earliestHold(channel: config.name, nowMillis: now / Nanos.perMillisecond).map { TimeMath.nanos(millis: $0) }
                        ?? now + Nanos.perSecond
                }
                // With several daemons a submission through another one rings here by NOTIFY;
                // the shorter look-again covers a lost listening connection.
                nextDue = min(next, now + (lease == nil ? 60 : 2) * Nanos.perSecond)
            }
            let lookAgain = shared.state.withLock { s in
                s.claimed.append(contentsOf: claimed)
                return s.pacer.claimed(claimed.count, nextDue: nextDue)
            }
            // The loop may be waiting for these, or to claim again for what woke it meanwhile;
            // an empty claim with nothing new it finds by itself (a ring would read as news
            // and make it claim again).
            if lookAgain { runtime.doorbell.ring() }
        } catch StoreError.leaseLost {
            lease?.markLost()
            logger.error("channel lost: another daemon holds its lease now; starting nothing more for it", metadata: ["channel": "\(config.name)"])
            shared.state.withLock { $0.pacer.claimFailed(retryAt: now + Nanos.perSecond) }
            runtime.doorbell.ring()
        } catch {
            logger.error("channel worker: database error; retrying in 1s", metadata: ["channel": "\(config.name)", "error": "\(error)"])
            shared.state.withLock { $0.pacer.claimFailed(retryAt: now + Nanos.perSecond) }
        }
    }

    private func send(_ message: ClaimedMessage, ticket: ArrivalWindow.Ticket, startedAt start: Int64, config: ChannelConfig, shared: Shared) async {
        let result: SendResult
        var fate = Reachability.Fate.unknown
        do {
            let body = config.api == .cloud
                ? RequestBody.cloud(payload: message.payload, to: message.recipient, callbackData: store.callbackData(for: message.id))
                : try RequestBody.onPremise(payload: message.payload, to: message.recipient)
            result = await transport.send(OutboundRequest(
                url: config.messagesURL, apiKey: config.apiKey.value, body: body,
                timeoutMillis: sender.requestTimeoutMillis, api: config.api,
                onWritten: { [clock] in
                    let at = clock.now()
                    shared.state.withLock { $0.pacer.written(ticket, at: at) }
                }))
            fate = switch result {
            case .accepted, .failed: .answered
            case .unknown: .unknown
            case .notReached: .notReached
            }
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
            result, history: message.history.adding(result), createdMillis: message.createdMillis,
            nowMillis: end / Nanos.perMillisecond, policy: policy, rng: &rng)
        if case .pauseChannel(let reason, let until) = decision, runtime.pause(nowMillis: end / Nanos.perMillisecond) == nil {
            logger.error("channel paused", metadata: ["channel": "\(config.name)", "reason": "\(reason)"])
            runtime.setPause(ChannelPause(reason: reason, sinceMillis: end / Nanos.perMillisecond, untilMillis: until))
        }
        let change = shared.state.withLock { $0.pacer.finished(ticket, fate: fate, now: end) }
        if let change { report(change, result: result, config: config, atMillis: end / Nanos.perMillisecond) }
        metrics.attempt(channel: config.name, result: result, decision: decision, nanos: end - start)
        logger.debug("attempt", metadata: [
            "message.id": "\(message.id)", "channel": "\(config.name)", "outcome": "\(result.outcome.rawValue)",
            "error_class": "\(OutboxMetrics.errorClass(result))", "latency_ms": "\((end - start) / Nanos.perMillisecond)",
        ])
        recorder.add(AttemptRecord(
            message: message, startedMillis: start / Nanos.perMillisecond, latencyMillis: (end - start) / Nanos.perMillisecond,
            result: result, decision: decision, holdOnRetry: config.rules.holdOnRetry,
            pairIntervalMillis: config.rules.pairIntervalMillis), answeredAt: end)
        runtime.finished(result.outcome, decision: decision, atMillis: end / Nanos.perMillisecond)
    }

    /// Tells the operator (log, `stats`, health, metrics) that the API went out of reach or came back.
    private func report(_ change: Reachability.Change, result: SendResult, config: ChannelConfig, atMillis: Int64) {
        switch change {
        case .unreachable:
            var reason = "requests never reached the API"
            if case .notReached(let detail) = result { reason = "\(sender.unreachableAfter) requests in a row never reached the API; last: \(detail)" }
            logger.error("channel unreachable: claiming stopped, probing with backoff", metadata: [
                "channel": "\(config.name)", "reason": "\(reason)", "base_url": "\(config.baseURL)",
            ])
            runtime.setUnreachable(ChannelRuntime.Unreachable(sinceMillis: atMillis, reason: reason))
        case .reachable(let after):
            logger.notice("channel reachable again; resuming", metadata: [
                "channel": "\(config.name)", "unreachable_s": "\(after / Nanos.perSecond)",
            ])
            runtime.setUnreachable(nil)
        }
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
