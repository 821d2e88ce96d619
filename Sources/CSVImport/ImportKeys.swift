import Foundation
import OutboxCore

/// Names an import and its rows so that running the same import again finds what the first
/// run stored: the import id comes from the file's bytes and what the command line adds to
/// them (channel, default template and language); a row's idempotency key from the import id
/// and the row's normalised content.
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

    /// The key of a row without an `idempotency_key` of its own: `imp-<import id>-<hash>`,
    /// the hash over what the row asks for once normalised (recipient in E.164, the message
    /// in canonical JSON bytes). Two identical rows of one file are therefore one message.
    public static func rowKey(importID: String, _ submission: Submission) -> String {
        rowKey(importID: importID, submission, message: submission.message.canonicalBytes)
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
