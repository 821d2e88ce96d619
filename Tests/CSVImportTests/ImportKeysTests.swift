import Foundation
import OutboxCore
import Testing
import TestSupport
@testable import CSVImport

/// Import ids and row keys: stable for the same input, different for a different one.
@Suite("Import ids and keys")
struct ImportKeysTests {
    let dir = TempDir()

    @Test("the import id follows the file's bytes, the channel and the defaults")
    func importID() throws {
        let a = dir.csv("a.csv", "to,text\n+4915112345678,Hi\n")
        let copy = dir.csv("copy.csv", "to,text\n+4915112345678,Hi\n")
        let edited = dir.csv("b.csv", "to,text\n+4915112345678,Hi!\n")
        let id = try ImportKeys.importID(path: a, channel: "main", template: nil, language: nil)
        #expect(id.count == 16)
        #expect(try ImportKeys.importID(path: copy, channel: "main", template: nil, language: nil) == id, "the name does not matter, the bytes do")
        #expect(try ImportKeys.importID(path: edited, channel: "main", template: nil, language: nil) != id)
        #expect(try ImportKeys.importID(path: a, channel: "other", template: nil, language: nil) != id)
        #expect(try ImportKeys.importID(path: a, channel: "main", template: "t", language: "en") != id)
    }

    @Test("a row's key is its import and row number, zero-padded so that keys sort as rows do")
    func rowKeyByRow() {
        #expect(ImportKeys.rowKey(importID: "0123456789abcdef", row: 2) == "imp-0123456789abcdef-r0000000002")
        #expect(ImportKeys.rowKey(importID: "0123456789abcdef", row: 1_234_567_890) == "imp-0123456789abcdef-r1234567890")
        let keys = [2, 9, 10, 99, 100, 1_000_001].map { ImportKeys.rowKey(importID: "abc", row: $0) }
        #expect(keys.sorted() == keys, "the unique index takes one import's rows in order, at one place per batch")
        #expect(Array(keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }) == keys, "as SQLite compares them: bytes")
        // Written as bytes since session 9: the same text as the interpolation it replaced.
        func interpolated(_ id: String, _ row: Int) -> String {
            let digits = String(row)
            return "imp-\(id)-r" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits
        }
        for row in [0, 1, 9, 10, 99_999, 2_147_483_647, 99_999_999_999, Int.max, -7] + (0..<200).map({ _ in Int.random(in: 2...Int(Int32.max)) }) {
            for id in ["0123456789abcdef", "a", "imp_-X9", String(repeating: "z", count: 64)] {
                #expect(ImportKeys.rowKey(importID: id, row: row) == interpolated(id, row))
            }
        }
    }

    @Test("a run keys its rows by content only when the import's stored rows were keyed so (begun before the upgrade)")
    func styleFollowsStoredRows() throws {
        let s = try Submission(channel: "main", to: "+4915112345678", message: .object(["type": .string("text"), "text": .object(["body": .string("Hi")])]), nowMillis: 0)
        let content = ImportKeys.rowKey(importID: "0123456789abcdef", s)
        #expect(ImportKeys.style(stored: [], importID: "0123456789abcdef") == .byRow, "a new import")
        #expect(ImportKeys.style(stored: [ImportKeys.rowKey(importID: "0123456789abcdef", row: 5)], importID: "0123456789abcdef") == .byRow)
        #expect(ImportKeys.style(stored: ["order-7", nil, content], importID: "0123456789abcdef") == .byContent)
        #expect(ImportKeys.style(stored: [content], importID: "fedcba9876543210") == .byRow, "another import's key says nothing")
        #expect(ImportKeys.style(stored: ["imp-0123456789abcdef-0123456789abcdeg", "imp-0123456789abcdef-0123"], importID: "0123456789abcdef") == .byRow,
                "only 16 lowercase hex digits are a content key")
    }

    @Test("content keys never change between versions: a re-run after an upgrade must find its rows")
    func rowKeyIsStable() throws {
        let message = JSONValue.object(["type": .string("text"), "text": .object(["body": .string("Hi \"you\" \u{07} é")])])
        let s = try Submission(channel: "main", to: "+4915112345678", message: message, priority: .bulk, nowMillis: 0)
        // FNV-1a 64 over the import id, channel, recipient, canonical message bytes, priority, times.
        #expect(ImportKeys.rowKey(importID: "abc", s) == "imp-abc-f4fa64ce69758ce5")
    }

    @Test("a content key depends on the import and the normalised row")
    func rowKey() throws {
        let s1 = try Submission(channel: "main", to: "+49 151 12345678", message: .object(["type": .string("text"), "text": .object(["body": .string("Hi")])]), nowMillis: 0)
        let s2 = try Submission(channel: "main", to: "004915112345678", message: s1.message, nowMillis: 0)
        var s3 = s1
        s3.priority = .high
        #expect(ImportKeys.rowKey(importID: "abc", s1) == ImportKeys.rowKey(importID: "abc", s2))
        #expect(ImportKeys.rowKey(importID: "abc", s1) != ImportKeys.rowKey(importID: "abd", s1))
        #expect(ImportKeys.rowKey(importID: "abc", s1) != ImportKeys.rowKey(importID: "abc", s3))
        #expect(ImportKeys.rowKey(importID: "abc", s1).hasPrefix("imp-abc-"))
    }
}
