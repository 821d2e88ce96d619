import Foundation
import Testing
import TestSupport
@testable import CSVImport

/// The rejects file: the input's header plus row and reason, quoted so it reads back as written.
@Suite("Rejects file")
struct RejectsWriterTests {
    let dir = TempDir()

    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test("fields round-trip through quoting; short rows are padded so row and reason line up")
    func roundTrip() throws {
        let path = dir.file("x.rejects.csv")
        let writer = RejectsWriter(path: path, header: [bytes("to"), bytes("text")])
        try writer.write(CSVRecord(fields: [bytes("12"), bytes("a, \"b\"\nc")], row: 2, line: 2), reason: "to: bad, really")
        try writer.write(CSVRecord(fields: [bytes(" +49 ")], row: 7, line: 8), reason: "has 1 field")
        #expect(try writer.finish() == path)
        #expect(try readCSV(path) == [
            ["to", "text", "row", "reason"],
            ["12", "a, \"b\"\nc", "2", "to: bad, really"],
            [" +49 ", "", "7", "has 1 field"],
        ])
    }

    @Test("a rejects file's own row and reason columns are replaced, not repeated")
    func rejectsOfRejects() throws {
        let path = dir.file("y.rejects.csv")
        let writer = RejectsWriter(path: path, header: [bytes("to"), bytes("row"), bytes("text"), bytes("reason")])
        try writer.write(CSVRecord(fields: [bytes("1"), bytes("5"), bytes("t"), bytes("old")], row: 3, line: 3), reason: "new")
        _ = try writer.finish()
        #expect(try readCSV(path) == [["to", "text", "row", "reason"], ["1", "t", "3", "new"]])
    }

    @Test("no rejects: no file, and one from an earlier run is left alone")
    func none() throws {
        let path = dir.csv("z.rejects.csv", "old")
        let writer = RejectsWriter(path: path, header: [bytes("to")])
        #expect(try writer.finish() == nil)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        #expect(RejectsWriter.path(for: "/a/b.CSV") == "/a/b.rejects.csv")
        #expect(RejectsWriter.path(for: "/a/list") == "/a/list.rejects.csv")
    }

    @Test("a re-run never overwrites an earlier rejects file: the next free number is used, mode 0600, never through a symlink")
    func numbered() throws {
        let path = dir.csv("n.rejects.csv", "the operator's fixes")
        symlink(dir.file("elsewhere.csv"), dir.file("n.rejects-2.csv"))
        let writer = RejectsWriter(path: path, header: [bytes("to")])
        try writer.write(CSVRecord(fields: [bytes("1")], row: 2, line: 2), reason: "bad")
        let written = try #require(try writer.finish())
        #expect(written == dir.file("n.rejects-3.csv"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "the operator's fixes")
        #expect(!FileManager.default.fileExists(atPath: dir.file("elsewhere.csv")))
        #expect(try readCSV(written) == [["to", "row", "reason"], ["1", "2", "bad"]])
        let mode = try FileManager.default.attributesOfItem(atPath: written)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
