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

    @Test("row keys never change between versions: a re-run after an upgrade must find its rows")
    func rowKeyIsStable() throws {
        let message = JSONValue.object(["type": .string("text"), "text": .object(["body": .string("Hi \"you\" \u{07} é")])])
        let s = try Submission(channel: "main", to: "+4915112345678", message: message, priority: .bulk, nowMillis: 0)
        // FNV-1a 64 over the import id, channel, recipient, canonical message bytes, priority, times.
        #expect(ImportKeys.rowKey(importID: "abc", s) == "imp-abc-f4fa64ce69758ce5")
    }

    @Test("a row key depends on the import and the normalised row")
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
