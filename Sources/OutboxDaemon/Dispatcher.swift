import Logging
import OutboxCore
import OutboxStore
import ServiceLifecycle
import WhatsApp

/// The sending side of the daemon: one `ChannelWorker` per channel, the recorder that writes
/// their attempts, and the sweeper that settles unknown outcomes nobody reported on.
/// On graceful shutdown the workers stop claiming, in-flight requests finish (bounded by the
/// drain timeout), unstarted claims go back to the queue, and the last attempts are written.
final class Dispatcher: Service, Sendable {
    let runtimes: [ChannelRuntime]
    let store: OutboxStore
    let transport: any MessageTransport
    let config: DaemonConfig
    let clock: any OutboxClock
    let logger: Logger
    private let stopping = StopFlag()
    private let sweeperBell = Doorbell()

    init(runtimes: [ChannelRuntime], store: OutboxStore, transport: any MessageTransport, config: DaemonConfig, clock: any OutboxClock, logger: Logger) {
        self.runtimes = runtimes
        self.store = store
        self.transport = transport
        self.config = config
        self.clock = clock
        self.logger = logger
    }

    func run() async throws {
        let recorder = AttemptRecorder(store: store, clock: clock, logger: logger)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { outer in
                outer.addTask { await recorder.run() }
                outer.addTask { await self.sweepSettlements() }
                await withDiscardingTaskGroup { workers in
                    for runtime in runtimes {
                        let worker = ChannelWorker(
                            runtime: runtime, store: store, transport: transport, recorder: recorder, policy: config.retry,
                            sender: config.sender, clock: clock, logger: logger, stopping: stopping,
                            drainTimeoutMillis: config.drainTimeoutMillis)
                        workers.addTask { await worker.run() }
                    }
                }
                recorder.close()
                sweeperBell.ring()
            }
        } onGracefulShutdown: {
            self.stopping.set()
            for runtime in self.runtimes { runtime.doorbell.ring() }
            self.sweeperBell.ring()
        }
        logger.info("dispatcher stopped")
    }

    /// Settles unknown outcomes whose wait ran out, per `[retry] unknown_outcome`.
    private func sweepSettlements() async {
        while !stopping.isSet, !Task.isCancelled {
            do {
                let n = try await store.settleOverdue(nowMillis: clock.nowMillis(), action: config.retry.unknownOutcome, maxAttempts: config.retry.maxAttempts)
                if n > 0 {
                    logger.notice("unknown outcomes not settled in time", metadata: ["count": "\(n)", "action": "\(config.retry.unknownOutcome.rawValue)"])
                    for runtime in runtimes { runtime.doorbell.ring() }
                }
                let next = try await store.nextSettlementDeadline().map { $0 * Nanos.perMillisecond }
                await sweeperBell.wait(until: min(next ?? .max, clock.now() + 5 * Nanos.perSecond), clock: clock)
            } catch {
                logger.error("settlement sweep failed", metadata: ["error": "\(error)"])
                await sweeperBell.wait(until: clock.now() + 5 * Nanos.perSecond, clock: clock)
            }
        }
    }

    func runtime(named name: String) -> ChannelRuntime? { runtimes.first { $0.name == name } }
}
