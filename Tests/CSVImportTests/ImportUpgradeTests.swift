import Foundation
import OutboxAPI
import OutboxCore
import Testing
import TestSupport
@testable import CSVImport

/// Row keys by row number (session 6) against a real daemon over its socket, real SQLite:
/// what a re-run finds, and an import begun by the version before, whose keys were by content.
@Suite("CSV import keys end to end")
struct ImportUpgradeTests {
    let dir = TempDir()

    @Test("identical rows of one file are separate messages, each found again by a re-run")
    func identicalRows() async throws {
        let path = dir.csv("twice.csv", "to,text\n+4915112345678,Hi\n+4915112345678,Hi\n+4915112345679,Hi\n")
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let s = try await d.importFile(path)
            #expect((s.rows, s.accepted, s.duplicates) == (3, 3, 0))
            let stored = try await d.messages(ofImport: s.importID)
            #expect(stored.map(\.idempotencyKey) == (2...4).map { ImportKeys.rowKey(importID: s.importID, row: $0) })
            let again = try await d.importFile(path)
            #expect((again.rows, again.accepted, again.duplicates) == (3, 0, 3))
            #expect(try await d.messages(ofImport: s.importID).count == 3)
        }
    }

    @Test("an import begun before the upgrade (rows keyed by content) and run again after it queues nothing twice")
    func begunBeforeTheUpgrade() async throws {
        let path = dir.csv("old.csv", "to,text\n+4915112345671,A\n+4915112345672,B\n+4915112345673,C\n+4915112345674,D\n")
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            // Given the first two rows stored as the version before stored them
            let importID = try ImportKeys.importID(path: path, channel: "main", template: nil, language: nil)
            let columns = try ImportColumns(header: ["to", "text"], template: nil, language: nil)
            var old = RowMapper(columns: columns, channel: "main", importID: importID, template: nil, language: nil)
            old.keys = .byContent
            var lines: [[UInt8]] = []
            for (row, fields) in [(2, ["+4915112345671", "A"]), (3, ["+4915112345672", "B"])] {
                guard case .valid(let line) = old.map(CSVRecord(fields: fields.map { Array($0.utf8) }, row: row, line: row), nowMillis: SystemClock().nowMillis()) else {
                    Issue.record("row \(row) did not map")
                    return
                }
                lines.append(line)
            }
            let first = try await d.client.submitBatch(Array(lines.joined(separator: [0x0A])))
            #expect(first.accepted == 2)
            // When the same file is imported by this version
            let s = try await d.importFile(path)
            // Then those rows are found by their content keys and only the rest is queued
            #expect((s.rows, s.accepted, s.duplicates, s.rejected) == (4, 2, 2, 0))
            let stored = try await d.messages(ofImport: importID)
            #expect(stored.map(\.to) == ["+4915112345671", "+4915112345672", "+4915112345673", "+4915112345674"])
            #expect(stored.allSatisfy { ImportKeys.isContentKey($0.idempotencyKey ?? "", importID: importID) })
        }
    }
}
