import CoreMetrics
import OutboxCore
import OutboxStore
import Prometheus
import Synchronization

/// The daemon's metrics, written through swift-metrics into a `PrometheusCollectorRegistry`
/// that belongs to this daemon (several daemons in one test process never share a series).
/// Events are counted where they happen (`OutboxMetrics+Events.swift`); figures that live in
/// the store or the channels are read when `/metrics` is scraped, at most once per
/// `refreshMillis` (`OutboxMetrics+Scrape.swift`).
///
/// Labels are low-cardinality only: channel, priority, outcome, error_class, state. Never a
/// message id, a phone number, a wamid or a key.
public final class OutboxMetrics: Sendable {
    /// The registry `/metrics` renders; the executable may also route swift-metrics' global
    /// `MetricsSystem` into it, so libraries' metrics appear beside the daemon's.
    public let registry: PrometheusCollectorRegistry
    let factory: any MetricsFactory
    let store: any OutboxStore
    let clock: any OutboxClock
    /// The channels configured now (a reload changes them).
    let channels: @Sendable () -> [ChannelRuntime]
    /// Scrape-time figures are read from the store at most this often.
    let refreshMillis: Int64

    private let counters = Mutex<[SeriesKey: CoreMetrics.Counter]>([:])
    private let timers = Mutex<[SeriesKey: CoreMetrics.Timer]>([:])
    let gauges = Mutex<[SeriesKey: CoreMetrics.Gauge]>([:])
    let scrape: Mutex<ScrapeState>

    /// Send latency: a loopback sandbox answers in about 1 ms, 360dialog in tens to
    /// hundreds; the request timeout is 30 s by default.
    static let sendBuckets: [Duration] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000].map { .milliseconds($0) }
    /// Webhook answers must stay far under 360dialog's 80 ms; a group commit takes a few ms.
    static let answerBuckets: [Duration] = [1, 2, 5, 10, 20, 40, 80, 160, 500, 1000].map { .milliseconds($0) }
    /// Submission group commits (one fsync each).
    static let commitBuckets: [Duration] = [1, 2, 5, 10, 25, 50, 100, 250, 1000].map { .milliseconds($0) }
    /// From an API answer to its audit record on disk: about one fsync (0.2 to 10 ms here),
    /// fine below 10 ms so the bench can read p50 and p99 from the buckets.
    static let answerCommitBuckets: [Duration] = [100, 250, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000, 7500, 10_000, 15_000, 25_000,
                                                  50_000, 100_000, 250_000, 1_000_000].map { .microseconds($0) }

    /// - Parameter eventsAfter: the newest timeline event at start; endings after it are counted.
    init(registry: PrometheusCollectorRegistry, store: any OutboxStore, clock: any OutboxClock, eventsAfter: Int64,
         refreshMillis: Int64 = 5000, channels: @escaping @Sendable () -> [ChannelRuntime]) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            Series.sendDuration: Self.sendBuckets,
            Series.webhookAnswer: Self.answerBuckets,
            Series.submitCommit: Self.commitBuckets,
            Series.answerToCommit: Self.answerCommitBuckets,
            Series.refresh: Self.commitBuckets,
        ]
        self.factory = factory
        self.store = store
        self.clock = clock
        self.channels = channels
        self.refreshMillis = refreshMillis
        scrape = Mutex(ScrapeState(lastEventID: eventsAfter))
    }

    /// The series' names, in one place (the README and etc/grafana-dashboard.json use them).
    enum Series {
        static let accepted = "wa_outbox_messages_accepted_total"
        static let sent = "wa_outbox_messages_sent_total"
        static let failed = "wa_outbox_messages_failed_total"
        static let expired = "wa_outbox_messages_expired_total"
        static let attempts = "wa_outbox_attempts_total"
        /// Channel leases (several daemons): `change` is acquired, taken_over, released or lost.
        static let leaseChanges = "wa_outbox_lease_changes_total"
        static let sendDuration = "wa_outbox_send_duration_seconds"
        static let submitCommit = "wa_outbox_submit_commit_seconds"
        static let answerToCommit = "wa_outbox_answer_to_commit_seconds"
        static let queueDepth = "wa_outbox_queue_depth"
        static let staged = "wa_outbox_staged_rows"
        static let sending = "wa_outbox_sending"
        static let inFlight = "wa_outbox_in_flight"
        static let oldestAge = "wa_outbox_queue_oldest_age_seconds"
        static let rate = "wa_outbox_send_rate"
        static let limit = "wa_outbox_rate_limit"
        static let configuredLimit = "wa_outbox_rate_limit_configured"
        static let paused = "wa_outbox_channel_paused"
        /// The level of the channel's spam-limit hold in force (0: none).
        static let spamHold = "wa_outbox_channel_spam_hold_level"
        static let priced = "wa_outbox_messages_priced_total"
        static let unreachable = "wa_outbox_channel_unreachable"
        static let webhooks = "wa_outbox_webhooks_received_total"
        static let webhookAnswer = "wa_outbox_webhook_answer_seconds"
        static let databaseBytes = "wa_outbox_database_bytes"
        static let refreshFailures = "wa_outbox_metrics_refresh_failures_total"
        static let refresh = "wa_outbox_metrics_refresh_seconds"
    }

    /// One series: a name and its label values, in the order of `labelNames`.
    struct SeriesKey: Hashable {
        var name: String
        var labels: [String]
    }

    func counter(_ name: String, _ labels: KeyValuePairs<String, String> = [:]) -> CoreMetrics.Counter {
        Self.series(counters, name, labels) { CoreMetrics.Counter(label: name, dimensions: $0, factory: factory) }
    }

    func timer(_ name: String, _ labels: KeyValuePairs<String, String> = [:]) -> CoreMetrics.Timer {
        Self.series(timers, name, labels) { CoreMetrics.Timer(label: name, dimensions: $0, factory: factory) }
    }

    func gauge(_ name: String, _ labels: KeyValuePairs<String, String> = [:]) -> CoreMetrics.Gauge {
        Self.series(gauges, name, labels) { CoreMetrics.Gauge(label: name, dimensions: $0, factory: factory) }
    }

    /// The series of `name` with these labels, made on first use and kept.
    private static func series<M: Sendable>(_ cache: borrowing Mutex<[SeriesKey: M]>, _ name: String, _ labels: KeyValuePairs<String, String>,
                                            make: ([(String, String)]) -> M) -> M {
        let key = SeriesKey(name: name, labels: labels.flatMap { [$0.key, $0.value] })
        return cache.withLock { c in
            if let existing = c[key] { return existing }
            let made = make(labels.map { ($0.key, $0.value) })
            c[key] = made
            return made
        }
    }
}
