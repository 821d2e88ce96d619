import Foundation
import OutboxAPI
import OutboxCore
import Testing
import TestSupport
@testable import CSVImport

/// `import` end to end: real CSV files in a temporary folder, the importer talking to a real
/// daemon over its Unix socket, real SQLite behind it.
@Suite("CSV import end to end")
struct ImportTests {
    let dir = TempDir()

    @Test("a hostile file: good rows are queued exactly, bad rows are reported by row and written to the rejects file")
    func hostileFile() async throws {
        let path = dir.csv("hostile.csv", """
            to,text,priority
            +4915112345678,"Hello, world",
            "+49 151 1234 5679","She said ""hi""
            and left",high
            4915112345680,Plain,
            12,too short,
            +4915112345681,extra,field,here
            +4915112345682

            ,,
            +4915112345683,"never closed

            """)
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let observer = RecordingObserver()
            let s = try await d.importFile(path, observer: observer)
            #expect(s.end == .finished)
            #expect((s.rows, s.accepted, s.duplicates, s.rejected) == (7, 3, 0, 4))
            #expect(s.rows == s.accepted + s.duplicates + s.rejected)
            #expect(observer.rejects.map(\.row) == [5, 6, 7, 10])
            #expect(observer.rejects[0].reason.hasPrefix("to: '12' has 2 digits"))
            #expect(observer.rejects[1].reason == "has 4 fields; the header has 3")
            #expect(observer.rejects[2].reason == "has 1 field; the header has 3")
            #expect(observer.rejects[3].reason.contains("never closed"))

            let stored = try await d.messages(ofImport: s.importID)
            #expect(stored.map(\.to) == ["+4915112345678", "+4915112345679", "+4915112345680"])
            #expect(stored.map(\.priority) == [.bulk, .high, .bulk])
            #expect(stored.allSatisfy { $0.importID == s.importID && $0.idempotencyKey?.hasPrefix("imp-\(s.importID)-") == true })
            let second = try await d.message(stored[1].id)
            #expect(second.message?["text"]?["body"] == .string("She said \"hi\"\nand left"))
            let first = try await d.message(stored[0].id)
            #expect(first.message?["text"]?["body"] == .string("Hello, world"))

            let rejects = try readCSV(try #require(s.rejectsFile))
            #expect(s.rejectsFile == dir.file("hostile.rejects.csv"))
            #expect(rejects[0] == ["to", "text", "priority", "row", "reason"])
            #expect(rejects.dropFirst().map { $0[$0.count - 2] } == ["5", "6", "7", "10"])
            #expect(rejects[1] == ["12", "too short", "", "5", observer.rejects[0].reason])
            #expect(rejects[2] == ["+4915112345681", "extra", "field", "here", "6", "has 4 fields; the header has 3"])
            #expect(rejects[3] == ["+4915112345682", "", "", "7", "has 1 field; the header has 3"])
        }
    }

    @Test("a UTF-8 byte order mark and CRLF line ends are read as the spreadsheet wrote them")
    func bomAndCRLF() async throws {
        let path = dir.csv("excel.csv", bytes: [0xEF, 0xBB, 0xBF] + Array("to,text\r\n+4915112345678,Hi\r\n+4915112345679,\"two\r\nlines\"\r\n".utf8))
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let s = try await d.importFile(path)
            #expect((s.rows, s.accepted, s.rejected) == (2, 2, 0))
            #expect(s.rejectsFile == nil)
            let stored = try await d.messages(ofImport: s.importID)
            let m = try await d.message(stored[1].id)
            #expect(m.message?["text"]?["body"] == .string("two\r\nlines"))
        }
    }

    @Test("huge fields and non-UTF-8 bytes reject their row only, naming it")
    func hugeAndInvalid() async throws {
        let huge = String(repeating: "x", count: 5000)
        let bytes = Array("to,text\n+4915112345678,\(huge)\n+4915112345679,Caf".utf8) + [0xE9] + Array("\n+4915112345670,fine\n".utf8)
        let path = dir.csv("mixed.csv", bytes: bytes)
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let observer = RecordingObserver()
            let s = try await d.importFile(path, observer: observer)
            #expect((s.rows, s.accepted, s.rejected) == (3, 1, 2))
            #expect(observer.rejects.map(\.row) == [2, 3])
            #expect(observer.rejects[0].reason == "text: is 5000 characters; the limit is 4096")
            #expect(observer.rejects[1].reason.contains("not valid UTF-8"))
            let rejectsPath = try #require(s.rejectsFile)
            let raw = try #require(FileManager.default.contents(atPath: rejectsPath))
            #expect(Array(raw).contains(0xE9), "the rejects file keeps the row's original bytes, to be re-encoded")
        }
    }

    @Test("an empty file is a clear error; a header alone is an import of 0 rows")
    func emptyAndHeaderOnly() async throws {
        let empty = dir.csv("empty.csv", "")
        let headerOnly = dir.csv("header.csv", "to,text\n")
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            await #expect(throws: ImportError.emptyFile(path: empty)) { try await d.importFile(empty) }
            let s = try await d.importFile(headerOnly)
            #expect((s.rows, s.accepted, s.duplicates, s.rejected) == (0, 0, 0, 0))
            #expect(s.end == .finished && s.rejectsFile == nil)
        }
    }

    @Test("an unknown column, channel or file stops before anything is queued")
    func refusals() async throws {
        let path = dir.csv("bad.csv", "to,text,colour\n+4915112345678,Hi,red\n")
        let good = dir.csv("good.csv", "to,text\n+4915112345678,Hi\n")
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            do {
                _ = try await d.importFile(path)
                Issue.record("an unknown column was accepted")
            } catch {
                #expect("\(error)".contains("unknown column 'colour' (column 3)"))
            }
            await #expect(throws: ImportError.unknownChannel("nope", known: ["main", "other"])) { try await d.importFile(good, channel: "nope") }
            await #expect(throws: ImportError.self) { try await d.importFile(dir.file("missing.csv")) }
            let latin1 = dir.csv("latin1.csv", bytes: [0x74, 0x6F, 0x2C, 0x74, 0xE9, 0x78, 0x74, 0x0A])
            await #expect(throws: ImportError.notUTF8(path: latin1, detail: "the header row has bytes that are not UTF-8")) { try await d.importFile(latin1) }
            let utf16 = dir.csv("utf16.csv", bytes: [0xFF, 0xFE, 0x74, 0x00, 0x6F, 0x00])
            await #expect(throws: ImportError.self) { try await d.importFile(utf16) }
            let all = try await d.allMessages()
            #expect(all.isEmpty)
        }
    }

    @Test("template rows with inconsistent parameter counts are rejected; the rest queue as templates")
    func templates() async throws {
        let path = dir.csv("t.csv", """
            to,body.1,body.2
            +4915112345671,Ann,42
            +4915112345672,Bob,
            +4915112345673,,7
            +4915112345674,Cy,9

            """)
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let observer = RecordingObserver()
            let s = try await d.importFile(path, template: "order_update", language: "en_US", observer: observer)
            #expect((s.rows, s.accepted, s.rejected) == (4, 2, 2))
            #expect(observer.rejects.map(\.row) == [3, 4])
            let stored = try await d.messages(ofImport: s.importID)
            let m = try await d.message(stored[0].id)
            #expect(m.type == "template")
            #expect(m.message?["template"]?["name"] == .string("order_update"))
        }
    }

    @Test("interrupted with a batch in flight, then run again: nothing is queued twice and duplicates count the first part")
    func interruptAndResume() async throws {
        var lines = ["to,text"]
        for i in 0..<10 { lines.append("+49151123456\(10 + i),Message \(i)") }
        lines.insert("not-a-number,x", at: 5)
        lines.append("+4915112345699,")
        let path = dir.csv("resume.csv", lines.joined(separator: "\n") + "\n")
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let stopper = RecordingObserver()
            stopper.stopWhen = { $0.rows > 0 }
            let first = try await d.importFile(path, batchSize: 3, maxInFlight: 2, observer: stopper)
            // Two batches in flight: rows 2-4 went as the first batch and 5-7 (row 6 refused by
            // the daemon) as the second; the first was filed when the third (8-10) was ready, and
            // the stop came at that check, so the batches in flight are finished before it stops.
            #expect(first.end == .interrupted)
            #expect((first.rows, first.accepted, first.duplicates, first.rejected) == (9, 8, 0, 1))
            #expect(first.throughRow == 10)
            #expect(try await d.messages(ofImport: first.importID).count == 8)

            let second = try await d.importFile(path, batchSize: 3)
            #expect(second.importID == first.importID)
            #expect(second.end == .finished)
            #expect((second.rows, second.accepted, second.duplicates, second.rejected) == (12, 2, 8, 2))
            let stored = try await d.messages(ofImport: second.importID)
            #expect(stored.count == 10)
            #expect(Set(stored.map(\.to)).count == 10)

            let third = try await d.importFile(path, batchSize: 1000)
            #expect((third.rows, third.accepted, third.duplicates, third.rejected) == (12, 0, 10, 2))
            #expect(try await d.allMessages().count == 10)
        }
    }

    @Test("many small batches in flight: every answer is filed against its own rows, in order")
    func pipelinedBatches() async throws {
        var lines = ["to,text"]
        for i in 0..<25 { lines.append(i % 7 == 3 ? "+49,bad number \(i)" : "+49151234567\(10 + i),Message \(i)") }
        let path = dir.csv("many.csv", lines.joined(separator: "\n") + "\n")
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let observer = RecordingObserver()
            let s = try await d.importFile(path, batchSize: 2, observer: observer)
            #expect(s.end == .finished)
            #expect((s.rows, s.accepted, s.duplicates, s.rejected) == (25, 21, 0, 4))
            #expect(observer.rejects.map(\.row) == [5, 12, 19, 26])
            let stored = try await d.messages(ofImport: s.importID)
            #expect(Set(stored.map(\.to)) == Set((0..<25).filter { $0 % 7 != 3 }.map { "+49151234567\(10 + $0)" }))
        }
    }

    @Test("a dry run checks every row and writes the rejects file, and queues nothing")
    func dryRun() async throws {
        let path = dir.csv("dry.csv", "to,text\n+4915112345678,Hi\n12,x\n")
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let s = try await d.importFile(path, dryRun: true)
            #expect((s.rows, s.accepted, s.duplicates, s.rejected) == (2, 1, 0, 1))
            #expect(s.rejectsFile != nil)
            let all = try await d.allMessages()
            #expect(all.isEmpty)
            await #expect(throws: ImportError.unknownChannel("nope", known: ["main", "other"])) { try await d.importFile(path, channel: "nope", dryRun: true) }
        }
        let observer = RecordingObserver()
        let offline = try await Importer(options: ImportOptions(path: path, channel: "main", dryRun: true), sink: nil).run(observer: observer)
        #expect((offline.rows, offline.accepted, offline.rejected) == (2, 1, 1))
        #expect(observer.notices.count == 1)
    }

    @Test("rows the daemon refuses go to the rejects file too")
    func daemonRejects() async throws {
        let path = dir.csv("keys.csv", "to,text,idempotency_key\n+4915112345678,Hello,order-1\n+4915112345679,Other,order-2\n")
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            _ = try await d.sendText("Something else", to: "+4915112345678", extra: #","idempotency_key":"order-1""#)
            let observer = RecordingObserver()
            let s = try await d.importFile(path, observer: observer)
            #expect((s.rows, s.accepted, s.rejected) == (2, 1, 1))
            #expect(observer.rejects.first?.row == 2)
            #expect(observer.rejects.first?.reason.hasPrefix("the daemon refused it: idempotency_key:") == true)
            let rejects = try readCSV(try #require(s.rejectsFile))
            #expect(rejects.count == 2)
            #expect(rejects[1][3] == "2")
        }
    }

    @Test("the rejects file, once fixed, imports as it is")
    func reimportRejects() async throws {
        let path = dir.csv("fixme.csv", "to,text\n+4915112345678,Fine\n12,\"Fix, me\"\n+4915112345679,\n")
        try await withDaemon(queueOnlyConfig(dir), dir: dir) { d in
            let s = try await d.importFile(path)
            #expect((s.accepted, s.rejected) == (1, 2))
            let rejectsPath = try #require(s.rejectsFile)
            let text = try String(contentsOfFile: rejectsPath, encoding: .utf8)
            #expect(text.hasPrefix("to,text,row,reason\r\n12,\"Fix, me\",3,"))
            let fixed = text.replacingOccurrences(of: "12,\"Fix, me\"", with: "+4915112345670,\"Fix, me\"")
                .replacingOccurrences(of: "+4915112345679,,", with: "+4915112345679,Now with text,")
            try fixed.write(toFile: rejectsPath, atomically: true, encoding: .utf8)
            let again = try await d.importFile(rejectsPath)
            #expect((again.rows, again.accepted, again.rejected) == (2, 2, 0))
            #expect(again.rejectsFile == nil)
            let stored = try await d.messages(ofImport: again.importID)
            #expect(stored.map(\.to) == ["+4915112345670", "+4915112345679"])
        }
    }
}
