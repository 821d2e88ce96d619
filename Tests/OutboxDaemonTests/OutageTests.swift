import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import Sandbox
import Testing
import TestSupport

/// An outage of the API fails nothing: requests that never reached it use up no attempts, the
/// channel is marked unreachable (stats, health, metrics), stops claiming, probes, and resumes
/// by itself once the API answers.
@Suite("API outage")
struct OutageTests {
    let dir = TempDir()

    @Test("the sandbox stopped, then started again on the same port: nothing failed, everything sent after")
    func outageThenRecovery() async throws {
        // A port the sandbox had, free again once it stopped.
        let port = try await withSandbox { _, url in Int(url.split(separator: ":").last!)! }
        var c = testConfig(dir: dir, baseURL: "http://127.0.0.1:\(port)")
        // Few attempts: before, an outage used them up and failed every message.
        c.retry.maxAttempts = 2
        c.sender.unreachableAfter = 3
        c.sender.probeMaxIntervalMillis = 1_000
        try await withDaemon(c, dir: dir) { d in
            var ids: [String] = []
            for i in 0..<10 { ids.append(try await d.sendText("m\(i)", to: "+49151000\(20000 + i)")) }
            // The API is down: the channel is marked unreachable, and nothing fails.
            #expect(try await eventually(timeoutSeconds: 10) { try await d.channels().channels[0].unreachable == true })
            let status = try await d.channels().channels[0]
            #expect(status.unreachableReason?.contains("never reached the API") == true)
            #expect(status.unreachableSince != nil)
            let (_, healthBody) = try await d.get("/v1/health")
            let health = try JSONDecoder().decode(HealthDocument.self, from: Data(healthBody))
            #expect(health.channelHealth?["main"]?.state == "unreachable")
            let (_, metrics) = try await d.get("/metrics")
            #expect(String(decoding: metrics, as: UTF8.self).contains(#"wa_outbox_channel_unreachable{channel="main"} 1"#))
            // Probes go on for a while (more than max_attempts of them); still nothing failed.
            try await Task.sleep(for: .seconds(3))
            for id in ids {
                let m = try await d.message(id)
                #expect(m.state == .queued || m.state == .sending, "message \(id) is \(m.state)")
            }
            // The API comes back on the same port.
            try await withSandbox(port: port) { sandbox, _ in
                for id in ids { try await d.waitFor(id, in: [.sent], timeoutSeconds: 20) }
                #expect(sandbox.state.received().count == 10)
                #expect(try await eventually { try await d.channels().channels[0].unreachable == false })
            }
            // Attempts that never reached the API were recorded, titled "not sent"; more of them
            // than max_attempts, and the message was sent all the same.
            let attempts = try await d.message(ids[0]).attempts ?? []
            #expect(attempts.last?.outcome == .accepted)
            #expect(attempts.filter { $0.errorTitle == "not sent" }.count >= 1)
            let notSent = try await withThrowingTaskGroup(of: Int.self) { group in
                for id in ids { group.addTask { try await d.message(id).attempts?.filter { $0.errorTitle == "not sent" }.count ?? 0 } }
                return try await group.reduce(0, +)
            }
            #expect(notSent > c.retry.maxAttempts)
        }
    }
}
