import Foundation

/// Reads a CSV file one record at a time (RFC 4180: quoted fields with commas, doubled quotes
/// and line breaks; CRLF, LF or CR line ends; an optional UTF-8 byte order mark). Memory stays
/// flat whatever the file's size: one chunk and one record are held, and fields are capped.
///
/// A malformed record (text after a closing quote, a quote never closed, a field over the cap)
/// comes back with `problem` set instead of stopping the file, so the records after it are read
/// as they were written. A quote that is never closed (the file ends inside it, or the field
/// runs over several lines past `maxFieldBytes`) would otherwise swallow every later row: that record
/// is cut at its first line break and rejected, and reading resumes on the next line (at most
/// `maxResyncs` times per file; then the reader stops with an error naming the row). CSV.swift 2.5.2 was not used because it cannot do this: after
/// `"ab"c` it drops `c` and swallows the rest of the file into that field, and an invalid
/// UTF-8 byte splits a record in two.
public final class CSVRecordReader {
    /// Largest field kept, in bytes (a template body parameter may hold 32,768 characters).
    public static let maxFieldBytes = 256 << 10
    /// Largest record kept, in bytes.
    public static let maxRecordBytes = 1 << 20
    /// Most fields kept per record (an import header has far fewer).
    public static let maxFields = 512
    /// How many unclosed quotes a file may have before the reader gives up on it (each one
    /// costs a re-read of up to `maxRecordBytes`, so a hostile file costs at most about 1 GB
    /// of re-reading; only a quote that runs into the record cap can repeat, since one that
    /// reaches the end of the file leaves an even number of quotes after it).
    public static let maxResyncs = 1000

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }
    private enum Source {
        case file(FileHandle)
        case memory([UInt8], offset: Int)
    }

    private var source: Source
    private let chunkSize: Int
    private let path: String
    // The state the byte loop reads and writes, without the runtime's exclusivity check on
    // each access (a class's stored properties get one; it was a third of the reader's time
    // in the daemon's reading of an import's rows). Only this class touches them, from one
    // task at a time (the reader is not Sendable), and the compiler still checks its own
    // accesses statically.
    @exclusivity(unchecked) private var buffer: [UInt8] = []
    @exclusivity(unchecked) private var position = 0
    private var started = false
    private var atEOF = false

    @exclusivity(unchecked) private var state = State.fieldStart
    @exclusivity(unchecked) private var field: [UInt8] = []
    @exclusivity(unchecked) private var fields: [[UInt8]] = []
    @exclusivity(unchecked) private var fieldCount = 0
    @exclusivity(unchecked) private var recordBytes = 0
    @exclusivity(unchecked) private var recordStarted = false
    private var problem: String?
    @exclusivity(unchecked) private var fieldTruncated = false
    @exclusivity(unchecked) private var skipLF = false
    @exclusivity(unchecked) private var line = 1
    private var recordLine = 1
    private var row = 0
    /// File offset of `buffer[0]`.
    private var bufferOffset = 0
    /// Where the current record's first line break inside a quoted field was: the offset and
    /// line just after it, and the record as it stood on its own first line.
    private var firstBreak: (offset: Int, line: Int, fields: [[UInt8]], fieldCount: Int)?
    private var resyncs = 0
    /// `maxResyncs`, lowered by tests.
    var resyncLimit = CSVRecordReader.maxResyncs

    /// Opens the file at `path` for reading.
    public init(path: String, chunkSize: Int = 64 << 10) throws(ImportError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .cannotRead(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .cannotRead(path: path, reason: "it is a folder") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .cannotRead(path: path, reason: "permission denied")
        }
        self.source = .file(handle)
        self.chunkSize = max(chunkSize, 4)
        self.path = path
    }

    /// Reads from bytes in memory, `chunkSize` at a time (tests use tiny chunks to put every
    /// boundary in the middle of something).
    public init(bytes: [UInt8], chunkSize: Int = 64 << 10, name: String = "input") {
        self.source = .memory(bytes, offset: 0)
        self.chunkSize = max(chunkSize, 1)
        self.path = name
    }

    deinit {
        if case .file(let handle) = source { try? handle.close() }
    }

    /// The next record, blank ones included; nil at the end of the file.
    public func next() throws(ImportError) -> CSVRecord? {
        while true {
            if position == buffer.count {
                try refill()
                if position == buffer.count {
                    if state == .quoted, recordStarted, firstBreak != nil {
                        return try resync(reason: "a quoted field opened on line \(recordLine) is never closed")
                    }
                    return endOfFile()
                }
            }
            if state == .quoted, firstBreak != nil, field.count >= Self.maxFieldBytes || recordBytes >= Self.maxRecordBytes {
                return try resync(reason: "a quoted field opened on line \(recordLine) runs past \(Self.maxFieldBytes) bytes over several lines; its closing quote is probably missing")
            }
            if !skipLF, state == .unquoted || state == .quoted, copyRun() { continue }
            let byte = buffer[position]
            position += 1
            if skipLF {
                skipLF = false
                if byte == 0x0A { continue }
            }
            if let record = consume(byte) { return record }
        }
    }

    /// Inside a field, copies the bytes up to the next one that means something (a comma or
    /// line end unquoted; a quote or line feed quoted) in one go instead of one byte at a
    /// time. False when there is no such run (or the field nears its cap, where `append`
    /// decides byte by byte).
    private func copyRun() -> Bool {
        let quoted = state == .quoted
        var end = position
        buffer.withUnsafeBufferPointer { b in
            if quoted {
                while end < b.count, b[end] != 0x22, b[end] != 0x0A { end += 1 }
            } else {
                while end < b.count, b[end] != 0x2C, b[end] != 0x0A, b[end] != 0x0D { end += 1 }
            }
        }
        let n = end - position
        guard n > 0, field.count + n < Self.maxFieldBytes, recordBytes + n < Self.maxRecordBytes else { return false }
        field.append(contentsOf: buffer[position..<end])
        recordBytes += n
        position = end
        return true
    }

    /// Feeds one byte to the state machine; returns a record when `byte` ended one.
    private func consume(_ byte: UInt8) -> CSVRecord? {
        let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D
        recordStarted = true
        switch state {
        case .fieldStart:
            switch byte {
            case quote: state = .quoted
            case comma: endField()
            case lf, cr: return endRecord(lineEnd: byte)
            default:
                append(byte)
                state = .unquoted
            }
        case .unquoted:
            switch byte {
            case comma: endField()
            case lf, cr: return endRecord(lineEnd: byte)
            default: append(byte)  // a lone quote inside an unquoted field is kept as written
            }
        case .quoted:
            if byte == quote {
                state = .quoteInQuoted
            } else {
                if byte == lf {
                    line += 1
                    if firstBreak == nil {
                        firstBreak = (bufferOffset + position, line, fields + [field], fieldCount + 1)
                    }
                }
                append(byte)
            }
        case .quoteInQuoted:
            switch byte {
            case quote:
                append(quote)
                state = .quoted
            case comma: endField()
            case lf, cr: return endRecord(lineEnd: byte)
            default:
                note("column \(fieldCount + 1) has text after its closing quote; a quote inside a quoted field is written twice (\"\")")
                append(byte)
                state = .unquoted
            }
        }
        return nil
    }

    private func append(_ byte: UInt8) {
        guard field.count < Self.maxFieldBytes, recordBytes < Self.maxRecordBytes else {
            if !fieldTruncated {
                fieldTruncated = true
                note(field.count >= Self.maxFieldBytes
                     ? "column \(fieldCount + 1) is longer than \(Self.maxFieldBytes) bytes"
                     : "the row is longer than \(Self.maxRecordBytes) bytes")
            }
            return
        }
        field.append(byte)
        recordBytes += 1
    }

    private func note(_ text: String) {
        if problem == nil { problem = text }
    }

    private func endField() {
        if fieldCount < Self.maxFields { fields.append(field) }
        fieldCount += 1
        field = []
        fieldTruncated = false
        state = .fieldStart
    }

    private func endRecord(lineEnd: UInt8?) -> CSVRecord {
        endField()
        row += 1
        let record = CSVRecord(fields: fields, fieldCount: fieldCount, row: row, line: recordLine, problem: problem)
        if let lineEnd {
            line += 1
            skipLF = lineEnd == 0x0D
        }
        recordLine = line
        fields = []
        fields.reserveCapacity(min(fieldCount, Self.maxFields))  // the next record has as many, most likely
        fieldCount = 0
        recordBytes = 0
        recordStarted = false
        problem = nil
        firstBreak = nil
        return record
    }

    /// Rejects the current record as it stood on its first line, and goes back to read on
    /// from the line after it, as if the quote had been closed there.
    private func resync(reason: String) throws(ImportError) -> CSVRecord {
        guard let cut = firstBreak else { return endRecord(lineEnd: nil) }
        resyncs += 1
        row += 1
        guard resyncs <= resyncLimit else {
            throw .cannotRead(path: path, reason: "row \(row): more than \(resyncLimit) quoted fields are never closed; the file's quoting is broken (stopped reading)")
        }
        var kept = cut.fields
        if let last = kept.indices.last, kept[last].last == 0x0D { kept[last].removeLast() }
        let record = CSVRecord(fields: Array(kept.prefix(Self.maxFields)), fieldCount: cut.fieldCount, row: row, line: recordLine,
                               problem: "\(reason); the row is rejected as it stands on line \(recordLine) and reading goes on at line \(cut.line)")
        try seek(to: cut.offset)
        line = cut.line
        recordLine = cut.line
        state = .fieldStart
        field = []
        fields = []
        fieldCount = 0
        recordBytes = 0
        recordStarted = false
        problem = nil
        fieldTruncated = false
        skipLF = false
        firstBreak = nil
        return record
    }

    /// Moves the read position back to `offset` of the input.
    private func seek(to offset: Int) throws(ImportError) {
        switch source {
        case .file(let handle):
            do {
                try handle.seek(toOffset: UInt64(offset))
            } catch {
                throw .cannotRead(path: path, reason: "\(error)")
            }
        case .memory(let bytes, _):
            source = .memory(bytes, offset: offset)
        }
        buffer = []
        position = 0
        bufferOffset = offset
        atEOF = false
    }

    private func endOfFile() -> CSVRecord? {
        guard recordStarted else { return nil }
        if state == .quoted {
            note("a quoted field opened on line \(recordLine) is never closed")
        }
        return endRecord(lineEnd: nil)
    }

    private func refill() throws(ImportError) {
        guard !atEOF else { return }
        var chunk: [UInt8]
        switch source {
        case .file(let handle):
            do {
                chunk = [UInt8](try handle.read(upToCount: chunkSize) ?? Data())
            } catch {
                throw .cannotRead(path: path, reason: "\(error)")
            }
        case .memory(let bytes, let offset):
            let size = started ? chunkSize : max(chunkSize, 4)
            let end = min(bytes.count, offset + size)
            chunk = Array(bytes[offset..<end])
            source = .memory(bytes, offset: end)
        }
        if chunk.isEmpty { atEOF = true }
        bufferOffset += buffer.count
        buffer = chunk
        position = 0
        if !started {
            started = true
            try skipByteOrderMark()
        }
    }

    /// Skips a UTF-8 byte order mark; refuses UTF-16 and UTF-32 files with a clear reason.
    private func skipByteOrderMark() throws(ImportError) {
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) {
            position = 3
        } else if buffer.starts(with: [0xFF, 0xFE]) || buffer.starts(with: [0xFE, 0xFF]) || buffer.starts(with: [0, 0, 0xFE, 0xFF]) {
            throw .notUTF8(path: path, detail: "it starts with a UTF-16 or UTF-32 byte order mark")
        }
    }
}
