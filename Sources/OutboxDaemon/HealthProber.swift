import Logging
import OutboxCore
import OutboxStore
import ServiceLifecycle
import WhatsApp

/// Keeps `/v1/health` informed without putting work on its request path: seeds each channel's
/// last successful send from the audit trail once it runs (start-up stays fast), and probes
/// 360dialog's health endpoint of the channels with `health_probe = true` in the background,
/// each at most once per `HealthProbe.minimumIntervalMillis` (360dialog caches the answer that long).
final class HealthProber: Service, Sendable {
    let channels: Channels
    let store: any OutboxStore
    let api: (any AccountAPI)?
    let timeoutMillis: Int64
    let clock: any OutboxClock
    let logger: Logger
    /// Rung by a reload: a channel may have been added or had its probe switched on.
    let doorbell = Doorbell()
    /// How far back the last successful send is looked for.
    static let lookBackMillis: Int64 = 30 * 86_400_000

    init(channels: Channels, store: any OutboxStore, api: (any AccountAPI)?, timeoutMillis: Int64, clock: any OutboxClock, logger: Logger) {
        self.channels = channels
        self.store = store
        self.api = api
        self.timeoutMillis = timeoutMillis
        self.clock = clock
        self.logger = logger
    }

    /// Nothing here needs finishing at a stop: a graceful shutdown cancels the loop, and with
    /// it a probe in flight (which could otherwise take up to the request timeout and hold the
    /// dispatcher's stop behind it).
    func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            var seeded = Set<ObjectIdentifier>()
            while !Task.isCancelled {
                let runtimes = channels.snapshot()
                for runtime in runtimes where !seeded.contains(ObjectIdentifier(runtime)) {
                    do {
                        if let at = try await store.lastAccepted(channel: runtime.name, sinceMillis: clock.nowMillis() - Self.lookBackMillis) {
                            runtime.seedLastSent(atMillis: at)
                        }
                        seeded.insert(ObjectIdentifier(runtime))
                    } catch {
                        logger.warning("cannot read the last successful send", metadata: ["channel": "\(runtime.name)", "error": "\(error)"])
                    }
                }
                await probeDue(runtimes)
                await doorbell.wait(until: TimeMath.nanos(millis: nextProbe(runtimes)), clock: clock)
            }
        }
    }

    /// Probes, side by side, every channel whose probe is on and whose last one is old enough.
    private func probeDue(_ runtimes: [ChannelRuntime]) async {
        guard let api else { return }
        let now = clock.nowMillis()
        let due = runtimes.filter { r in
            r.config.healthProbe && (r.probe.map { now - $0.checkedMillis >= HealthProbe.minimumIntervalMillis } ?? true)
        }
        await withDiscardingTaskGroup { group in
            for runtime in due {
                group.addTask {
                    let config = runtime.config
                    let result = await api.probeHealth(baseURL: config.baseURL, apiKey: config.apiKey.value, api: config.api,
                                                       timeoutMillis: self.timeoutMillis, clock: self.clock)
                    // Cut off by the stop: that says nothing about 360dialog.
                    if Task.isCancelled { return }
                    let previous = runtime.probe
                    runtime.setProbe(result)
                    if previous?.status != result.status || previous?.detail != result.detail {
                        let metadata: Logger.Metadata = ["channel": "\(runtime.name)", "status": "\(result.status)", "detail": "\(result.detail ?? "")"]
                        if result.ok { self.logger.info("360dialog health probe", metadata: metadata) } else { self.logger.warning("360dialog health probe: cannot send", metadata: metadata) }
                    }
                }
            }
        }
    }

    /// When the next probe falls due (milliseconds), or in a minute when no channel probes.
    private func nextProbe(_ runtimes: [ChannelRuntime]) -> Int64 {
        let now = clock.nowMillis()
        let next = runtimes.filter { api != nil && $0.config.healthProbe }
            .map { r in r.probe.map { TimeMath.add($0.checkedMillis, HealthProbe.minimumIntervalMillis) } ?? now }
            .min()
        return max(now, min(next ?? .max, now + 60_000))
    }
}
