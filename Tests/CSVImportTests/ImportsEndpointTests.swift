import Foundation
import OutboxAPI
import OutboxCore
import Testing
import TestSupport
@testable import CSVImport

/// `GET` and `DELETE /v1/imports/{id}`: an import's messages as a group.
@Suite("Imports endpoint")
struct ImportsEndpointTests {
    let dir = TempDir()

    func json(_ body: [UInt8]) throws -> JSONValue { try JSONParser.parse(body) }

    @Test("cancel --import cancels the still-queued rows of that import only, each with a cancelled event")
    func cancelImport() async throws {
        let later = daysAhead(200).text
        let a = dir.csv("a.csv", "to,text,not_before\n+4915112345671,A1,\(later)\n+4915112345672,A2,\(later)\n+4915112345673,A3,\(later)\n")
        let b = dir.csv("b.csv", "to,text,not_before\n+4915112345674,B1,\(later)\n")
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let first = try await d.importFile(a)
            let second = try await d.importFile(b)
            let (status, body) = try await d.client.call(.DELETE, "/v1/imports/\(first.importID)")
            #expect(status == 200)
            #expect(try json(body) == .object(["import_id": .string(first.importID), "cancelled": .int(3)]))

            let (s1, b1) = try await d.get("/v1/imports/\(first.importID)")
            #expect(s1 == 200)
            let doc = try JSONDecoder().decode(ImportStatesDocument.self, from: Data(b1))
            #expect(doc.importID == first.importID)
            #expect(doc.total == 3)
            #expect(doc.states["cancelled"] == 3)
            #expect(doc.states["queued"] == 0)
            let (_, b2) = try await d.get("/v1/imports/\(second.importID)")
            #expect(try json(b2)["states"]?["queued"] == .int(1))

            let cancelled = try await d.messages(ofImport: first.importID)
            #expect(cancelled.allSatisfy { $0.state == .cancelled })
            let timeline = try await d.message(cancelled[0].id)
            #expect(timeline.events?.contains { $0.status == "cancelled" } == true)

            let (again, againBody) = try await d.client.call(.DELETE, "/v1/imports/\(first.importID)")
            #expect(again == 200)
            #expect(try json(againBody)["cancelled"] == .int(0))
        }
    }

    @Test("an import id nobody used is 404 for both")
    func unknown() async throws {
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let (s1, b1) = try await d.client.call(.DELETE, "/v1/imports/nope")
            #expect(s1 == 404)
            #expect(try json(b1)["error"]?["code"] == .string("not_found"))
            let (s2, _) = try await d.get("/v1/imports/nope")
            #expect(s2 == 404)
        }
    }
}
