import Foundation
import OutboxAPI
import OutboxCore
import Testing
import TestSupport
@testable import CSVImport

/// `POST /v1/imports/{id}/rows`: an import's rows as CSV, checked and stored by the daemon.
@Suite("Import rows endpoint")
struct ImportRowsEndpointTests {
    let dir = TempDir()

    func post(_ d: DaemonHarness, _ path: String, _ body: String) async throws -> (status: Int, body: [UInt8]) {
        try await d.client.call(.POST, path, body: Array(body.utf8), contentType: "text/csv")
    }

    @Test("rows are keyed by import and row number: sent again they are duplicates, and refusals name the row and column")
    func rows() async throws {
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let body = "wa-outbox-row,to,body.1\n2,+4915112345671,Ann\n3,12,Bob\n5,+4915112345673,\"Cy, \"\"the\"\" third\"\n"
            let (status, bytes) = try await post(d, "/v1/imports/feed01/rows?channel=main&template=order&language=en", body)
            #expect(status == 200)
            let doc = try #require(ImportRowsDocument(parsing: bytes))
            #expect((doc.accepted, doc.duplicates) == (2, 0))
            #expect(doc.rejected.map(\.row) == [3])
            #expect(doc.rejected.first?.reason.hasPrefix("to: '12' has 2 digits") == true)
            // Staged, then made messages by the expander a moment later
            try await d.expanded()
            let stored = try await d.messages(ofImport: "feed01")
            #expect(stored.map(\.idempotencyKey) == ["imp-feed01-r0000000002", "imp-feed01-r0000000005"])
            let third = try await d.message(stored[1].id)
            #expect(third.message?["template"]?["components"]?.arrayValue?.first?["parameters"]?.arrayValue?.first?["text"] == .string("Cy, \"the\" third"))

            let (again, againBytes) = try await post(d, "/v1/imports/feed01/rows?channel=main&template=order&language=en", body)
            #expect(again == 200)
            let second = try #require(ImportRowsDocument(parsing: againBytes))
            #expect((second.accepted, second.duplicates, second.rejected.count) == (0, 2, 1))
            #expect(try await d.messages(ofImport: "feed01").count == 2)
        }
    }

    @Test("hostile requests are refused whole with the field named, and nothing is stored", arguments: [
        ("/v1/imports/feed02/rows?channel=main", "to,text\n2,+4915112345671,Hi\n", "body"),
        ("/v1/imports/feed02/rows?channel=main", "wa-outbox-row,to,text\nx,+4915112345671,Hi\n", "body"),
        ("/v1/imports/feed02/rows?channel=main", "wa-outbox-row,to,text\n3,+4915112345671,Hi\n3,+4915112345672,Hi\n", "body"),
        ("/v1/imports/feed02/rows?channel=main", "wa-outbox-row,to,text\n1,+4915112345671,Hi\n", "body"),
        ("/v1/imports/feed02/rows?channel=main", "wa-outbox-row,to,text\n99999999999,+4915112345671,Hi\n", "body"),
        ("/v1/imports/feed02/rows?channel=main", "wa-outbox-row,to,colour\n2,+4915112345671,red\n", "body"),
        ("/v1/imports/feed02/rows?channel=main", "", "body"),
        ("/v1/imports/feed02/rows", "wa-outbox-row,to,text\n2,+4915112345671,Hi\n", "channel"),
        ("/v1/imports/feed02/rows?channel=nope", "wa-outbox-row,to,text\n2,+4915112345671,Hi\n", "channel"),
        ("/v1/imports/feed%2F02/rows?channel=main", "wa-outbox-row,to,text\n2,+4915112345671,Hi\n", "import_id"),
    ])
    func hostile(path: String, body: String, field: String) async throws {
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let (status, bytes) = try await post(d, path, body)
            #expect(status == 400, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(try JSONParser.parse(bytes)["error"]?["field"] == .string(field))
            #expect(try await d.allMessages().isEmpty)
        }
    }

    @Test("a record the client sent malformed, short or long is refused by row; the rest are stored")
    func malformedRecords() async throws {
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let body = "wa-outbox-row,to,text\n2,+4915112345671,\"open\n3,+4915112345672\n4,+4915112345673,a,b\n5,+4915112345674,fine\n"
            let (status, bytes) = try await post(d, "/v1/imports/feed03/rows?channel=main", body)
            #expect(status == 200, "\(String(decoding: bytes, as: UTF8.self))")
            let doc = try #require(ImportRowsDocument(parsing: bytes))
            #expect(doc.accepted == 1)
            #expect(doc.rejected.map(\.row) == [2, 3, 4])
        }
    }

    @Test("the answer document reads back as written, and a document that does not fit is not read")
    func document() throws {
        let doc = ImportRowsDocument(accepted: 3, duplicates: 1, rejected: [.init(row: 7, reason: "to: \"x\"")])
        #expect(ImportRowsDocument(parsing: doc.jsonBytes) == doc)
        #expect(ImportRowsDocument(parsing: Array(#"{"accepted":-1,"duplicates":0,"rejected":[]}"#.utf8)) == nil)
        #expect(ImportRowsDocument(parsing: Array(#"{"accepted":1,"duplicates":0,"rejected":[{"row":"2"}]}"#.utf8)) == nil)
    }

    @Test("a rows body round-trips fields that need quoting")
    func body() throws {
        let header = RowsBody.header([Array("to".utf8), Array("text".utf8)])
        let line = RowsBody.line(CSVRecord(fields: [Array("+49".utf8), Array("a,\"b\"\r\nc".utf8)], row: 12, line: 12))
        let reader = CSVRecordReader(bytes: header + [0x0A] + line)
        #expect(try reader.next()?.fields.map { String(decoding: $0, as: UTF8.self) } == ["wa-outbox-row", "to", "text"])
        #expect(try reader.next()?.fields.map { String(decoding: $0, as: UTF8.self) } == ["12", "+49", "a,\"b\"\r\nc"])
    }
}
