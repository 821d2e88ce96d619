import Logging
import OutboxCore
import OutboxStore
import ServiceLifecycle
import Synchronization
import WhatsApp

/// The sending side of the daemon: one `ChannelWorker` per channel, the recorder that writes
/// their attempts, and the sweeper that settles unknown outcomes nobody reported on.
/// On graceful shutdown the workers stop claiming, in-flight requests finish (bounded by the
/// drain timeout), unstarted claims go back to the queue, and the last attempts are written.
///
/// A reload starts workers for added channels and stops those of removed ones (`start`,
/// `stop`): commands fed through an `AsyncStream` into the workers' task group, so every
/// worker stays a child task. A stopped worker finishes its in-flight requests and returns its
/// unstarted claims; a channel that comes back gets a new worker once the old one is gone.
final class Dispatcher: Service, Sendable {
    let channels: Channels
    let store: any OutboxStore
    let transport: any MessageTransport
    let config: DaemonConfig
    let clock: any OutboxClock
    let logger: Logger
    let metrics: OutboxMetrics
    /// Opens when the listeners are bound: nothing is claimed before.
    let gate: StartGate
    /// With several daemons on one database: which channels this one sends. Without it
    /// (SQLite), every configured channel has a worker.
    let keeper: LeaseKeeper?
    private let stopping = StopFlag()
    private let sweeperBell = Doorbell()
    private let commands: AsyncStream<Command>
    private let commandSink: AsyncStream<Command>.Continuation

    enum Command: Sendable {
        case start(ChannelRuntime)
        /// The keeper took the channel's lease: a worker sends under it.
        case acquired(ChannelRuntime, ChannelLease)
        case stop(String)
        case exited(String, ChannelLease?)
        case shutdown
    }

    init(channels: Channels, store: any OutboxStore, transport: any MessageTransport, config: DaemonConfig, clock: any OutboxClock, logger: Logger,
         metrics: OutboxMetrics, gate: StartGate = StartGate(listeners: 0), keeper: LeaseKeeper? = nil) {
        self.metrics = metrics
        self.keeper = keeper
        self.gate = gate
        self.channels = channels
        self.store = store
        self.transport = transport
        self.config = config
        self.clock = clock
        self.logger = logger
        (commands, commandSink) = AsyncStream.makeStream(of: Command.self)
    }

    /// Starts sending `runtime`'s channel (added by a reload). With leases, the keeper starts
    /// the worker once it holds the channel.
    func start(_ runtime: ChannelRuntime) {
        if keeper == nil { commandSink.yield(.start(runtime)) } else { keeper?.bell.ring() }
    }

    /// Stops the channel's worker (removed by a reload): it claims nothing more, lets its
    /// in-flight requests finish and returns its unstarted claims to the queue.
    func stop(channel name: String) { commandSink.yield(.stop(name)) }

    func run() async throws {
        let recorder = AttemptRecorder(store: store, clock: clock, logger: logger, committed: { [metrics] in metrics.answerCommitted(nanos: $0) }) { [channels] names in
            for name in names { channels.runtime(named: name)?.doorbell.ring() }
        }
        await withGracefulShutdownHandler {
            guard await gate.wait() else {
                logger.info("dispatcher stopped before the listeners were up; nothing was claimed")
                return
            }
            await withDiscardingTaskGroup { outer in
                outer.addTask { await recorder.run() }
                outer.addTask { await self.sweepSettlements() }
                if let keeper {
                    keeper.connect(acquired: { [commandSink] in commandSink.yield(.acquired($0, $1)) },
                                   stop: { [commandSink] in commandSink.yield(.stop($0)) })
                    outer.addTask { await keeper.run() }
                }
                await superviseWorkers(recorder: recorder)
                // Every worker exited and released its lease; the keeper's row goes too.
                keeper?.finish()
                recorder.close()
                sweeperBell.ring()
            }
        } onGracefulShutdown: {
            self.gate.giveUp()
            self.keeper?.stopAcquiring()
            self.stopping.set()
            self.commandSink.yield(.shutdown)
            self.sweeperBell.ring()
        }
        logger.info("dispatcher stopped")
    }

    /// Runs one worker per channel and carries out the commands, one at a time, until every
    /// worker has stopped after a shutdown.
    private func superviseWorkers(recorder: AttemptRecorder) async {
        var running: [String: (runtime: ChannelRuntime, stop: StopFlag)] = [:]
        // A channel that came back while its old worker still drains: started when that one exits.
        var waiting: [String: (runtime: ChannelRuntime, lease: ChannelLease?)] = [:]
        var shuttingDown = false
        await withDiscardingTaskGroup { workers in
            func launch(_ runtime: ChannelRuntime, lease: ChannelLease?) {
                let stop = StopFlag()
                running[runtime.name] = (runtime, stop)
                let worker = ChannelWorker(
                    runtime: runtime, store: store, transport: transport, recorder: recorder, policy: config.retry,
                    sender: config.sender, clock: clock, logger: logger, stopping: stop,
                    drainTimeoutMillis: config.drainTimeoutMillis, metrics: metrics, lease: lease)
                workers.addTask {
                    await worker.run()
                    self.commandSink.yield(.exited(runtime.name, lease))
                }
            }
            if keeper == nil { for runtime in channels.snapshot() { launch(runtime, lease: nil) } }
            for await command in commands {
                switch command {
                case .start(let runtime) where !shuttingDown:
                    if let old = running[runtime.name] {
                        if old.runtime === runtime, !old.stop.isSet { continue }
                        waiting[runtime.name] = (runtime, nil)
                    } else {
                        launch(runtime, lease: nil)
                        logger.info("channel worker started", metadata: ["channel": "\(runtime.name)"])
                    }
                case .start:
                    continue
                case .acquired(let runtime, let lease):
                    if shuttingDown {
                        await keeper?.workerExited(lease)
                    } else if running[runtime.name] != nil {
                        waiting[runtime.name] = (runtime, lease)
                    } else {
                        launch(runtime, lease: lease)
                        logger.info("channel worker started", metadata: ["channel": "\(runtime.name)", "lease_token": "\(lease.token)"])
                    }
                case .stop(let name):
                    if let lease = waiting.removeValue(forKey: name)?.lease { await keeper?.workerExited(lease) }
                    if let entry = running[name] {
                        entry.stop.set()
                        entry.runtime.doorbell.ring()
                    }
                case .exited(let name, let lease):
                    running[name] = nil
                    if let lease {
                        // Its answers go into the store before the lease goes: the next owner
                        // settles what is still `sending` as unknown outcomes.
                        await recorder.written(channel: name, timeoutMillis: 5_000)
                        await keeper?.workerExited(lease)
                    }
                    if let next = waiting.removeValue(forKey: name), !shuttingDown {
                        launch(next.runtime, lease: next.lease)
                        logger.info("channel worker started", metadata: ["channel": "\(name)"])
                    } else if !shuttingDown {
                        logger.info("channel worker stopped", metadata: ["channel": "\(name)"])
                    }
                case .shutdown:
                    shuttingDown = true
                    for entry in waiting.values { if let lease = entry.lease { await keeper?.workerExited(lease) } }
                    waiting = [:]
                    for entry in running.values {
                        entry.stop.set()
                        entry.runtime.doorbell.ring()
                    }
                }
                if shuttingDown, running.isEmpty { break }
            }
        }
    }

    /// Settles unknown outcomes whose wait ran out, per `[retry] unknown_outcome`.
    private func sweepSettlements() async {
        while !stopping.isSet, !Task.isCancelled {
            do {
                let n = try await store.settleOverdue(nowMillis: clock.nowMillis(), action: config.retry.unknownOutcome, maxAttempts: config.retry.maxAttempts)
                if n > 0 {
                    logger.notice("unknown outcomes not settled in time", metadata: ["count": "\(n)", "action": "\(config.retry.unknownOutcome.rawValue)"])
                    channels.ringAll()
                }
                // A deadline already past waits for stored webhooks to be applied: look again shortly.
                let next = try await store.nextSettlementDeadline().map { max(TimeMath.nanos(millis: $0), clock.now() + 250 * Nanos.perMillisecond) }
                await sweeperBell.wait(until: min(next ?? .max, clock.now() + 5 * Nanos.perSecond), clock: clock)
            } catch {
                logger.error("settlement sweep failed", metadata: ["error": "\(error)"])
                await sweeperBell.wait(until: clock.now() + 5 * Nanos.perSecond, clock: clock)
            }
        }
    }

    func runtime(named name: String) -> ChannelRuntime? { channels.runtime(named: name) }
}
