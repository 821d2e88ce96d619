import Foundation
import OutboxAPI
import OutboxCore
import Sandbox
import Testing
import TestSupport
@testable import CSVImport

/// CSV imports against a synced template catalog: rows the catalog shows cannot succeed, and
/// marketing rows to customers who opted out, are rejected by row; the others are queued.
@Suite("CSV import with a template catalog")
struct ImportTemplateTests {
    let dir = TempDir()

    @Test("rows with the wrong parameter count and rows to opted-out customers are rejected by row, with the reason")
    func rejectsByRow() async throws {
        try await withSandbox { sandbox, url in
            var catalog = SandboxCatalog.standard
            catalog.templates.append(SandboxTemplate(name: "promo", language: "en_US", category: "MARKETING", components: [SandboxTemplate.body(1)]))
            sandbox.state.setCatalog(catalog)
            try await withDaemon(testConfig(dir: dir, baseURL: url), dir: dir) { d in
                #expect(try await d.post("/v1/templates/sync", json: "").status == 200)
                #expect(try await d.post("/v1/optouts", json: #"{"channel":"main","to":"+4915100000052"}"#).status == 201)
                // The catalog says order_update takes 2 body parameters: rows with one are rejected, by row.
                let orders = dir.csv("orders.csv", """
                    to,body.1
                    +4915100000051,Pablo
                    +4915100000053,Ana
                    """)
                let observer = RecordingObserver()
                let s = try await d.importFile(orders, template: "order_update", language: "en_US", observer: observer)
                #expect((s.accepted, s.rejected) == (0, 2))
                #expect(observer.rejects.map(\.row) == [2, 3])
                #expect(observer.rejects.first?.reason.contains("takes 2 parameters") == true)
                let promo = dir.csv("promo.csv", """
                    to,body.1
                    +4915100000051,20%
                    +4915100000052,20%
                    """)
                let o2 = RecordingObserver()
                let p = try await d.importFile(promo, template: "promo", language: "en_US", observer: o2)
                #expect((p.accepted, p.rejected) == (1, 1))
                #expect(o2.rejects.map(\.row) == [3])
                #expect(o2.rejects.first?.reason.contains("opted out") == true)
            }
        }
    }
}
