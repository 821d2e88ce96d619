import Testing
@testable import CSVImport

/// The streaming reader against RFC 4180 and the files people actually have: quotes, commas
/// and line breaks inside fields, CRLF, a byte order mark, blank lines, broken quoting. Each
/// case runs with chunks of 1, 2, 3 and 7 bytes too, so every construct straddles a boundary.
@Suite("CSV record reader")
struct CSVRecordReaderTests {
    static let chunkSizes = [1, 2, 3, 7, 64 << 10]

    func read(_ text: String, chunk: Int) throws -> [CSVRecord] {
        try read(Array(text.utf8), chunk: chunk)
    }

    func read(_ bytes: [UInt8], chunk: Int) throws -> [CSVRecord] {
        let reader = CSVRecordReader(bytes: bytes, chunkSize: chunk)
        var out: [CSVRecord] = []
        while let r = try reader.next() { out.append(r) }
        return out
    }

    func texts(_ r: CSVRecord) -> [String] { r.fields.map { String(decoding: $0, as: UTF8.self) } }

    @Test("quoted fields keep commas, doubled quotes and line breaks", arguments: chunkSizes)
    func quoting(chunk: Int) throws {
        let records = try read("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\nplain,,end\n", chunk: chunk)
        #expect(records.map(texts) == [["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"], ["plain", "", "end"]])
        #expect(records.map(\.row) == [1, 2, 3])
        #expect(records.map(\.line) == [1, 2, 4])
        #expect(records.allSatisfy { $0.problem == nil })
    }

    @Test("CRLF, a UTF-8 byte order mark and a missing last line end", arguments: chunkSizes)
    func crlfAndBOM(chunk: Int) throws {
        let records = try read([0xEF, 0xBB, 0xBF] + Array("to,text\r\n1,\"a\r\nb\"\r\n2,c".utf8), chunk: chunk)
        #expect(records.map(texts) == [["to", "text"], ["1", "a\r\nb"], ["2", "c"]])
        #expect(records.map(\.row) == [1, 2, 3])
    }

    @Test("blank lines are records of their own, numbered as a spreadsheet shows them", arguments: chunkSizes)
    func blankLines(chunk: Int) throws {
        let records = try read("h\n\nx\n,,\n  \ny\n", chunk: chunk)
        #expect(records.map(\.isBlank) == [false, true, false, true, true, false])
        #expect(records.map(\.row) == [1, 2, 3, 4, 5, 6])
    }

    @Test("text after a closing quote spoils that record only", arguments: chunkSizes)
    func textAfterQuote(chunk: Int) throws {
        let records = try read("a,\"ab\"c,d\ne,f,g\n", chunk: chunk)
        #expect(records.count == 2)
        #expect(records[0].problem?.contains("column 2 has text after its closing quote") == true)
        #expect(records[0].fieldCount == 3)
        #expect(texts(records[1]) == ["e", "f", "g"])
        #expect(records[1].problem == nil)
    }

    @Test("a quote never closed rejects its row as it stands on its line, and reading goes on at the next line", arguments: chunkSizes)
    func unterminated(chunk: Int) throws {
        let records = try read("a,b\n1,\"open\r\n2,x\n3,y", chunk: chunk)
        #expect(records.map(texts) == [["a", "b"], ["1", "open"], ["2", "x"], ["3", "y"]])
        #expect(records.map(\.row) == [1, 2, 3, 4])
        #expect(records.map(\.line) == [1, 2, 3, 4])
        #expect(records[1].problem == "a quoted field opened on line 2 is never closed; the row is rejected as it stands on line 2 and reading goes on at line 3")
        #expect(records[2].problem == nil && records[3].problem == nil)
        // On the last line there is nothing to resume: the row is reported as before.
        let last = try read("a,b\n1,\"open", chunk: chunk)
        #expect(last[1].problem == "a quoted field opened on line 2 is never closed")
    }

    @Test("an unclosed quote early in a large file costs one row, not the rest of the file")
    func unterminatedEarly() throws {
        var text = "to,text\n+4915100000001,\"oops\n"
        for i in 2...20_000 { text += "+49151\(String(format: "%08d", i)),row \(i)\n" }
        let records = try read(text, chunk: 64 << 10)
        #expect(records.count == 20_001)
        #expect(records.filter { $0.problem != nil }.map(\.row) == [2])
        #expect(texts(records[20_000]) == ["+4915100020000", "row 20000"])
        #expect(records[20_000].row == 20_001)
    }

    @Test("a quoted field running past the record cap is cut at its first line break and reading resumes")
    func unterminatedPastCap() throws {
        let body = String(repeating: "x", count: 100)
        var text = "a,b\n1,\"open\n"
        for i in 0..<3_000 { text += "\(i),\(body)\n" }
        text += "end,\"late close\"\n"
        let records = try read(text, chunk: 4096)
        try #require(records.count > 2)
        #expect(records[1].problem?.contains("runs past") == true)
        #expect(texts(records[1]) == ["1", "open"])
        #expect(texts(records[2]) == ["0", body])
        #expect(records.count == 3_003)
        #expect(texts(records.last!) == ["end", "late close"])
    }

    @Test("a file with more unclosed quotes than the limit stops with an error naming the row")
    func tooManyUnclosed() throws {
        let filler = String(repeating: "9,plain\n", count: (CSVRecordReader.maxFieldBytes / 8) + 100)
        let text = "a,b\n1,\"x\n" + filler + "2,\"y\n" + filler + "3,\"z\n" + filler
        let reader = CSVRecordReader(bytes: Array(text.utf8), chunkSize: 64 << 10)
        reader.resyncLimit = 2
        var rows = 0
        #expect {
            while try reader.next() != nil { rows += 1 }
        } throws: { error in
            "\(error)".contains("row \(2 * (CSVRecordReader.maxFieldBytes / 8 + 100) + 4)") && "\(error)".contains("never closed")
        }
        #expect(rows == 2 * (CSVRecordReader.maxFieldBytes / 8 + 100) + 3)
    }

    @Test("a field over the cap is cut and the record marked; the next record is intact")
    func hugeField() throws {
        let big = String(repeating: "x", count: CSVRecordReader.maxFieldBytes + 10)
        let records = try read("a,\(big)\nb,c\n", chunk: 4096)
        #expect(records[0].fields[1].count == CSVRecordReader.maxFieldBytes)
        #expect(records[0].problem?.contains("column 2 is longer than") == true)
        #expect(texts(records[1]) == ["b", "c"])
    }

    @Test("invalid UTF-8 stays in its field; the record boundaries hold", arguments: chunkSizes)
    func invalidUTF8(chunk: Int) throws {
        let records = try read(Array("a,b\n".utf8) + [0x43, 0x61, 0x66, 0xE9] + Array(",ok\nc,d\n".utf8), chunk: chunk)
        #expect(records.count == 3)
        #expect(records[1].text(0) == nil)
        #expect(records[1].text(1) == "ok")
        #expect(texts(records[2]) == ["c", "d"])
    }

    @Test("a UTF-16 file is refused with a clear reason")
    func utf16() throws {
        #expect(throws: ImportError.self) { try read([0xFF, 0xFE, 0x74, 0x00], chunk: 1) }
    }

    @Test("an empty file has no records; a lone CR ends a record")
    func emptyAndCR() throws {
        #expect(try read("", chunk: 3).isEmpty)
        #expect(try read([0xEF, 0xBB, 0xBF], chunk: 1).isEmpty)
        #expect(try read("a\rb\r", chunk: 1).map(texts) == [["a"], ["b"]])
    }
}
