/// The hand-over from request handlers to `WebhookCourier`: an unbounded stream of jobs.
/// Enqueuing never waits; jobs queued before the courier runs wait in the buffer, jobs queued
/// after it stopped are dropped.
struct WebhookQueue: Sendable {
    /// The jobs, in the order they were queued; iterated once, by the courier.
    let jobs: AsyncStream<WebhookJob>
    private let continuation: AsyncStream<WebhookJob>.Continuation

    init() {
        (jobs, continuation) = AsyncStream.makeStream(of: WebhookJob.self, bufferingPolicy: .unbounded)
    }

    func enqueue(_ job: WebhookJob) {
        continuation.yield(job)
    }

    /// Ends the stream; later jobs are dropped.
    func finish() {
        continuation.finish()
    }
}
