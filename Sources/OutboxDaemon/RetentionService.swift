import Logging
import OutboxCore
import OutboxStore
import ServiceLifecycle

/// Applies the retention policy in the background: a pass at start and then every
/// `interval`. A pass is many small transactions (`batch_size` rows each) with a pause
/// after each of at least `pauseFactor` times what the batch took, so retention holds the
/// database writer (and a CPU) at most 1/(1 + pauseFactor) of the time and a send waits at
/// most one batch for it. A pass over a million rows takes minutes; nothing is in a hurry.
struct RetentionService: Service {
    let store: any OutboxStore
    let policy: RetentionPolicy
    let clock: any OutboxClock
    let logger: Logger
    /// Least pause between two batches, in real time (the pause shares the writer and the CPU,
    /// it is not domain time); 0 only yields (tests).
    var minPauseMillis: Int64 = 5
    /// Pause after a batch, in multiples of the batch's own time: 4 keeps retention to a fifth.
    var pauseFactor = 4

    func run() async throws {
        guard !policy.isOff else {
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let pass = try await self.pass()
                    try await store.saveRetentionPass(pass)
                    if pass.bodiesErased + pass.messagesDeleted + pass.payloadsErased + pass.payloadsDeleted + (pass.eventsDeleted ?? 0) + (pass.eventsErased ?? 0) > 0 {
                        logger.info("retention pass", metadata: [
                            "bodies_erased": "\(pass.bodiesErased)", "messages_deleted": "\(pass.messagesDeleted)",
                            "payloads_erased": "\(pass.payloadsErased)", "payloads_deleted": "\(pass.payloadsDeleted)",
                            "events_deleted": "\(pass.eventsDeleted ?? 0)", "events_erased": "\(pass.eventsErased ?? 0)",
                            "duration_ms": "\(pass.durationMillis)",
                        ])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    logger.error("retention pass failed; trying again next interval", metadata: ["error": "\(error)"])
                }
                try await clock.sleep(until: TimeMath.add(clock.now(), TimeMath.nanos(millis: policy.intervalMillis)))
            }
        }
    }

    /// One pass at the clock's now: deletes first (what goes need not be erased), then erases.
    func pass() async throws -> RetentionPass {
        let started = clock.nowMillis()
        let elapsed = ContinuousClock.now
        let (erase, delete) = policy.cutoffs(nowMillis: started)
        let limit = policy.batchSize
        var pass = RetentionPass(startedMillis: started)
        pass.eraseBodiesAfterMillis = policy.eraseBodiesAfterMillis
        pass.deleteAfterMillis = policy.deleteAfterMillis
        if let delete {
            var cursor: Int64? = 0
            while let after = cursor {
                let r = try await throttled { try await store.deleteFinished(changedBefore: delete, afterID: after, limit: limit) }
                pass.messagesDeleted += r.deleted
                cursor = r.next
            }
            while true {
                let n = try await throttled { try await store.deletePayloads(receivedBefore: delete, limit: limit) }
                pass.payloadsDeleted += n
                if n < limit { break }
            }
            pass.eventsDeleted = 0
            while true {
                let n = try await throttled { try await store.deleteEvents(before: delete, limit: limit) }
                pass.eventsDeleted! += n
                if n < limit { break }
            }
        }
        if let erase {
            while true {
                let n = try await throttled { try await store.eraseBodies(changedBefore: erase, limit: limit) }
                pass.bodiesErased += n
                if n < limit { break }
            }
            while true {
                let r = try await throttled { try await store.erasePayloads(receivedBefore: erase, limit: limit) }
                pass.payloadsErased += r.erased
                if r.done { break }
            }
            pass.eventsErased = 0
            while true {
                let r = try await throttled { try await store.eraseEventContent(before: erase, limit: limit) }
                pass.eventsErased! += r.erased
                if r.done { break }
            }
        }
        let d = ContinuousClock.now - elapsed
        pass.durationMillis = d.components.seconds * 1_000 + d.components.attoseconds / 1_000_000_000_000_000
        return pass
    }

    /// Runs one batch, then pauses at least as long as it took.
    private func throttled<T: Sendable>(_ batch: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        let value = try await batch()
        if minPauseMillis > 0 {
            try await Task.sleep(for: max((ContinuousClock.now - start) * pauseFactor, .milliseconds(minPauseMillis)))
        } else {
            await Task.yield()
        }
        return value
    }
}
