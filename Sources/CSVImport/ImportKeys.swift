import Foundation
import OutboxCore

/// Names an import and its rows so that running the same import again finds what the first
/// run stored: the import id comes from the file's bytes and what the command line adds to
/// them (channel, default template and language); a row's idempotency key from the import id
/// and the row's number.
public enum ImportKeys {
    /// Hashes the whole file (streaming, 64 KiB at a time) with the channel and defaults.
    public static func importID(path: String, channel: String, template: String?, language: String?) throws(ImportError) -> String {
        var hash = FNV1a64()
        hash.update("wa-outbox import v1")
        hash.update(channel)
        hash.update(template ?? "")
        hash.update(language ?? "")
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .cannotRead(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        defer { try? handle.close() }
        do {
            while let chunk = try handle.read(upToCount: 64 << 10), !chunk.isEmpty {
                chunk.withUnsafeBytes { hash.update($0) }
            }
        } catch {
            throw .cannotRead(path: path, reason: "\(error)")
        }
        return hash.hex
    }

    /// How the rows of one import are keyed: by row number since session 6, by content
    /// before. A run picks the style the rows already stored carry (`style(stored:importID:)`),
    /// so an import interrupted under an older version and run again after an upgrade still
    /// finds its rows.
    public enum Style: Sendable, Equatable {
        /// `imp-<import id>-r<row>`: one import's keys follow its rows, so the daemon's unique
        /// index of keys is written at one place per batch instead of at a random place per row.
        case byRow
        /// `imp-<import id>-<content hash>`, the keys of imports begun before session 6.
        case byContent
    }

    /// The style of a run that finds `stored` among the import's messages (their keys, any
    /// order): by content when a key of that style is there, else by row.
    public static func style(stored: [String?], importID: String) -> Style {
        stored.contains { $0.map { isContentKey($0, importID: importID) } ?? false } ? .byContent : .byRow
    }

    /// True for `imp-<import id>-` followed by 16 lowercase hex digits: a key derived by content.
    static func isContentKey(_ key: String, importID: String) -> Bool {
        let prefix = "imp-\(importID)-"
        guard key.hasPrefix(prefix) else { return false }
        let rest = key.utf8.dropFirst(prefix.utf8.count)
        return rest.count == 16 && rest.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The key of row `row` (the spreadsheet's number: the header is row 1) without an
    /// `idempotency_key` of its own: `imp-<import id>-r<row in 10 digits>`. The import id
    /// names the file's bytes, so a row number names one row's content; zero-padded, keys sort
    /// as rows do. Identical rows of one file are therefore separate messages.
    /// (Written as bytes: string interpolation and padding were a tenth of the daemon's
    /// mapping of an imported row.)
    public static func rowKey(importID: String, row: Int) -> String {
        let digits = String(row)
        let padding = max(0, 10 - digits.utf8.count)
        var id = importID, number = digits
        return id.withUTF8 { id in
            number.withUTF8 { number in
                String(unsafeUninitializedCapacity: 6 + id.count + padding + number.count) { buffer in
                    var i = 0
                    func put(_ bytes: UnsafeBufferPointer<UInt8>) {
                        _ = UnsafeMutableBufferPointer(rebasing: buffer[i..<(i + bytes.count)]).initialize(from: bytes)
                        i += bytes.count
                    }
                    for b in "imp-".utf8 { buffer[i] = b; i += 1 }
                    put(id)
                    buffer[i] = UInt8(ascii: "-")
                    buffer[i + 1] = UInt8(ascii: "r")
                    i += 2
                    for _ in 0..<padding { buffer[i] = UInt8(ascii: "0"); i += 1 }
                    put(number)
                    return i
                }
            }
        }
    }

    /// The content key of imports begun before session 6: `imp-<import id>-<hash>`, the hash
    /// over what the row asks for once normalised (recipient in E.164, the message in
    /// canonical JSON bytes). Kept byte for byte: a re-run of such an import must find its rows.
    public static func rowKey(importID: String, _ submission: Submission) -> String {
        rowKey(importID: importID, submission, message: Array(submission.payload.utf8))
    }

    /// `rowKey(importID:_:)` with the message's canonical bytes already written.
    static func rowKey(importID: String, _ submission: Submission, message: [UInt8]) -> String {
        var hash = FNV1a64()
        hash.update(importID)
        hash.update(submission.channel)
        hash.update(submission.recipient.e164)
        hash.update(message)
        hash.update(submission.priority.rawValue)
        hash.update(submission.notBeforeMillis.map { String($0) } ?? "")
        hash.update(submission.expiresAtMillis.map { String($0) } ?? "")
        return "imp-\(importID)-\(hash.hex)"
    }
}
