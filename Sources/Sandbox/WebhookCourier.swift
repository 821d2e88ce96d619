import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// Posts queued webhook jobs to their receivers, the way 360dialog delivers: JSON POSTs with
/// the configured headers, only HTTP 200 counts, anything else (or no answer) is retried
/// after a pause that doubles each time, up to `attempts` tries, then given up. Every
/// attempt goes into the state's delivery log.
///
/// Runs inside `SandboxServer.run()`: one child task per job in a task group, all cancelled
/// when the server stops. Owns the one `HTTPClient` and shuts it down on the way out.
struct WebhookCourier: Sendable {
    let state: SandboxState
    /// Tries per event and copy, the first included.
    let attempts: Int
    /// Pause before the first retry, in milliseconds.
    let backoffMillis: Int
    /// Limit of one POST, in milliseconds.
    let timeoutMillis: Int
    let logger: Logger

    init(state: SandboxState, configuration: SandboxConfiguration, logger: Logger) {
        self.state = state
        self.attempts = max(1, configuration.webhookAttempts)
        self.backoffMillis = max(0, configuration.webhookBackoffMillis)
        self.timeoutMillis = max(1, configuration.webhookTimeoutMillis)
        self.logger = logger
    }

    /// The client's settings: no redirects (360dialog does not follow them), a failed connect
    /// fails the attempt at once instead of being retried inside the client.
    static var clientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(2)),
            connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 32))
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }

    /// Delivers jobs until the task is cancelled (the server stopped) or the queue ends.
    func run() async {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.clientConfiguration)
        await withDiscardingTaskGroup { group in
            for await job in state.webhookQueue.jobs {
                group.addTask { await perform(job, client: client) }
            }
        }
        do {
            try await client.shutdown()
        } catch {
            logger.warning("Sandbox webhook client did not shut down cleanly", metadata: ["error": "\(error)"])
        }
    }

    /// Runs a job's steps in order; stops at the first pause interrupted by cancellation.
    func perform(_ job: WebhookJob, client: HTTPClient) async {
        for step in job.steps {
            guard (try? await Task.sleep(for: .milliseconds(step.delayMillis))) != nil else { return }
            let now = state.clock.now() / 1_000_000_000
            let body = WebhookRenderer.body(for: step.event, api: job.api, account: job.account, timestamp: now)
            for copy in 0..<step.copies {
                guard await deliver(body, event: step.event, job: job, duplicate: copy > 0, client: client) else { return }
            }
        }
    }

    /// Posts one copy until the receiver answers 200 or the tries run out, each try to the
    /// key's webhook as it is then. False only when cancelled, so the job stops too.
    func deliver(_ body: String, event: WebhookEvent, job: WebhookJob, duplicate: Bool, client: HTTPClient) async -> Bool {
        var pause = backoffMillis
        for attempt in 1...attempts {
            let webhook = job.key.flatMap(state.webhook(forKey:)) ?? job.webhook
            let startedAt = state.clock.now() / 1_000_000
            let (status, error) = await post(body, to: webhook, client: client)
            if Task.isCancelled { return false }
            state.record(WebhookDelivery(
                url: webhook.url, status: event.label, messageID: event.messageID, body: body, attempt: attempt,
                duplicate: duplicate, httpStatus: status, error: error, atMillis: startedAt))
            if status == 200 { return true }
            guard attempt < attempts else {
                logger.warning("Sandbox gave up a webhook", metadata: [
                    "webhook.url": .string(webhook.url), "webhook.status": .string(event.label),
                    "webhook.attempts": .stringConvertible(attempts),
                ])
                return true
            }
            guard (try? await Task.sleep(for: .milliseconds(pause))) != nil else { return false }
            pause *= 2
        }
        return true
    }

    /// One POST: the receiver's status, or why there was none.
    func post(_ body: String, to webhook: SandboxWebhook, client: HTTPClient) async -> (status: Int?, error: String?) {
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "wa-outbox-sandbox")
        for (name, value) in webhook.headers {
            request.headers.replaceOrAdd(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeoutMillis)))
            // The answer's body means nothing to 360dialog; read a bounded amount and drop it.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return (Int(response.status.code), nil)
        } catch {
            return (nil, String(describing: error))
        }
    }
}
