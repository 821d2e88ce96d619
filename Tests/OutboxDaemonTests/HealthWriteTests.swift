import Foundation
import OutboxAPI
import OutboxDaemon
import Testing
import TestSupport

/// `/v1/health` tells the truth about writes: reads may work while nothing can be stored.
@Suite("Health: writes")
struct HealthWriteTests {
    let dir = TempDir()

    func health(_ d: DaemonHarness) async throws -> (status: Int, doc: HealthDocument) {
        let (status, body) = try await d.get("/v1/health")
        return (status, try JSONDecoder().decode(HealthDocument.self, from: Data(body)))
    }

    @Test("503 degraded with the reason while another process holds the write lock; ok again once it lets go")
    func locked() async throws {
        try await withSandbox { _, url in
            try await withDaemon(testConfig(dir: dir, baseURL: url), dir: dir) { d in
                let before = try await health(d)
                #expect(before.status == 200)
                #expect(before.doc.status == "ok")
                #expect(before.doc.reason == nil)
                let lock = try ExternalLock(path: d.config.databasePath)
                var seen: (status: Int, doc: HealthDocument)?
                let degraded = try await eventually {
                    seen = try await health(d)
                    return seen!.status == 503
                }
                lock.release()
                #expect(degraded)
                #expect(seen?.doc.status == "degraded")
                #expect(seen?.doc.reason?.contains("locked") == true, "\(seen?.doc.reason ?? "no reason")")
                #expect(seen?.doc.database.hasPrefix("cannot take writes") == true)
                #expect(try await eventually { try await health(d).status == 200 })
                #expect(try await health(d).doc.status == "ok")
            }
        }
    }
}
