/// The subscribers' series: deliveries, failures, whether each is failing, and its lag.
extension OutboxMetrics {
    enum SubscriberSeries {
        static let delivered = "wa_outbox_subscriber_events_delivered_total"
        static let posts = "wa_outbox_subscriber_posts_total"
        static let failing = "wa_outbox_subscriber_failing"
    }

    /// One POST to a subscriber: its outcome, and the events a 2xx delivered.
    func subscriberAttempt(_ name: String, ok: Bool, events: Int = 0) {
        counter(SubscriberSeries.posts, ["subscriber": name, "outcome": ok ? "ok" : "failed"]).increment()
        if ok { counter(SubscriberSeries.delivered, ["subscriber": name]).increment(by: events) }
    }

    /// 1 while the subscriber has been failing for longer than its give-up age.
    func subscriberFailing(_ name: String, _ failing: Bool) {
        gauge(SubscriberSeries.failing, ["subscriber": name]).record(failing ? 1 : 0)
    }
}
