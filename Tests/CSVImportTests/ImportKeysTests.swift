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

    @Test("canonical JSON bytes are exactly JSONValue.canonicalText, escapes and all")
    func canonicalBytes() throws {
        let value: JSONValue = .object([
            "z": .string("quote \" back \\ nl \n cr \r tab \t bell \u{07} é 🙂"),
            "a": .array([.int(-3), .double(2.5), .double(4), .bool(true), .null, .object([:])]),
            "m": .object(["b": .string(""), "a": .string("x")]),
        ])
        #expect(CanonicalJSON.bytes(value) == Array(value.canonicalText.utf8))
    }
}
