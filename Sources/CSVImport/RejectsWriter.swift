import Foundation

/// Writes the rows an import could not queue to `FILE.rejects.csv` beside the input: the
/// input's header plus `row` and `reason`, each field quoted where RFC 4180 needs it, so the
/// bad rows can be fixed and that file imported as it is (the importer ignores `row` and
/// `reason`). Fields are copied byte for byte, so a row rejected for its encoding keeps its
/// original bytes. The file is created at the first reject, mode 0600 (it holds customers'
/// numbers and messages), and never over an existing file: when `x.rejects.csv` is there from
/// an earlier run (perhaps with the operator's fixes in it), the next free `x.rejects-2.csv`,
/// `x.rejects-3.csv`, ... is used. It is created with `O_EXCL | O_NOFOLLOW`, so a symlink or
/// a file put in its place is never written through.
final class RejectsWriter {
    /// The name asked for; `path` is the one written.
    let requestedPath: String
    private(set) var path: String
    private let header: [[UInt8]]
    /// Columns of the input that are the `row` and `reason` of an earlier rejects file:
    /// replaced, not repeated, so a rejects file of a rejects file has the same columns.
    private let dropped: Set<Int>
    private var handle: FileHandle?
    private var pending: [UInt8] = []
    private(set) var count = 0

    init(path: String, header: [[UInt8]]) {
        self.requestedPath = path
        self.path = path
        let names = header.map { String(decoding: $0, as: UTF8.self).trimmingSpaces.lowercased() }
        self.dropped = Set(names.indices.filter { ImportColumns.ignored.contains(names[$0]) })
        self.header = header
    }

    /// The rejects file of `input`: `x.csv` → `x.rejects.csv`, `x` → `x.rejects.csv`.
    static func path(for input: String) -> String {
        let stem = input.lowercased().hasSuffix(".csv") ? String(input.dropLast(4)) : input
        return stem + ".rejects.csv"
    }

    func write(_ record: CSVRecord, reason: String) throws(ImportError) {
        if handle == nil { try open() }
        var fields = record.fields.indices.filter { !dropped.contains($0) }.map { record.fields[$0] }
        let width = header.count - dropped.count
        if fields.count < width { fields += Array(repeating: [], count: width - fields.count) }
        append(fields + [Array(String(record.row).utf8), Array(reason.utf8)])
        count += 1
        if pending.count >= 64 << 10 { try flush() }
    }

    /// Flushes and closes; returns the file's path, or nil when no row was rejected (a rejects
    /// file of an earlier run is left alone: it may hold the operator's fixes).
    func finish() throws(ImportError) -> String? {
        guard handle != nil else { return nil }
        try flush()
        try? handle?.close()
        handle = nil
        return path
    }

    private func open() throws(ImportError) {
        let stem = requestedPath.lowercased().hasSuffix(".csv") ? String(requestedPath.dropLast(4)) : requestedPath
        for n in 1...10_000 {
            let candidate = n == 1 ? requestedPath : "\(stem)-\(n).csv"
            let fd = Glibc.open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 {
                path = candidate
                handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
                break
            }
            guard errno == EEXIST else {
                throw .cannotWriteRejects(path: candidate, reason: "cannot create it: \(String(cString: strerror(errno)))")
            }
        }
        guard handle != nil else {
            throw .cannotWriteRejects(path: requestedPath, reason: "10,000 rejects files of earlier runs are in the way; remove old ones")
        }
        append(header.indices.filter { !dropped.contains($0) }.map { header[$0] } + [Array("row".utf8), Array("reason".utf8)])
    }

    private func flush() throws(ImportError) {
        guard let handle, !pending.isEmpty else { return }
        do {
            try handle.write(contentsOf: pending)
        } catch {
            throw .cannotWriteRejects(path: path, reason: "\(error)")
        }
        pending.removeAll(keepingCapacity: true)
    }

    private func append(_ fields: [[UInt8]]) {
        for (i, field) in fields.enumerated() {
            if i > 0 { pending.append(0x2C) }
            Self.quote(field, into: &pending)
        }
        pending += [0x0D, 0x0A]
    }

    /// Writes `field`, quoted (with its quotes doubled) when it holds a comma, quote, line
    /// break, or leading or trailing space that a reader could otherwise lose.
    static func quote(_ field: [UInt8], into out: inout [UInt8]) {
        let needs = field.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
            || field.first == 0x20 || field.last == 0x20
        guard needs else { out += field; return }
        out.append(0x22)
        for b in field {
            if b == 0x22 { out.append(0x22) }
            out.append(b)
        }
        out.append(0x22)
    }
}
