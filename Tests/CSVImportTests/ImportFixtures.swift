import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import TestSupport
@testable import CSVImport

/// Records what an import reports, and stops it when asked to (as Ctrl-C does).
final class RecordingObserver: ImportObserver {
    var progresses: [ImportProgress] = []
    var rejects: [(row: Int, reason: String)] = []
    var notices: [String] = []
    /// Asked after each progress report: true stops the import after the batch in flight.
    var stopWhen: (ImportProgress) -> Bool = { _ in false }
    private var stop = false

    func progress(_ p: ImportProgress) {
        progresses.append(p)
        if stopWhen(p) { stop = true }
    }

    func rejected(row: Int, reason: String) { rejects.append((row, reason)) }
    func notice(_ text: String) { notices.append(text) }
    var shouldStop: Bool { stop }
}

/// A daemon whose API is unreachable (port 9 on loopback) and whose retries wait a minute, so
/// what an import stores stays queued while a test looks at it.
func queueOnlyConfig(_ dir: TempDir) -> DaemonConfig {
    var c = testConfig(dir: dir, baseURL: "http://127.0.0.1:9", channels: [TestChannel("main"), TestChannel("other", key: "k2")])
    c.sender.connectTimeoutMillis = 100
    c.retry.baseDelayMillis = 60_000
    c.retry.maxDelayMillis = 60_000
    return c
}

extension TempDir {
    /// Writes `text` (or bytes) to a file in the folder and returns its path.
    func csv(_ name: String, _ text: String) -> String { csv(name, bytes: Array(text.utf8)) }

    func csv(_ name: String, bytes: [UInt8]) -> String {
        let path = file(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
}

extension DaemonHarness {
    /// Runs an import of `path` against this daemon through its real socket client.
    func importFile(_ path: String, channel: String = "main", template: String? = nil, language: String? = nil,
                    dryRun: Bool = false, batchSize: Int = 1000, maxInFlight: Int? = nil, observer: RecordingObserver = RecordingObserver()) async throws -> ImportSummary {
        var options = ImportOptions(path: path, channel: channel, template: template, language: language, dryRun: dryRun, batchSize: batchSize)
        if let maxInFlight { options.maxInFlight = maxInFlight }
        let summary = try await Importer(options: options, sink: client).run(observer: observer)
        try await expanded()
        return summary
    }

    /// Waits until the expander has made every staged import row a message (SQLite stages
    /// accepted rows first; the tests' imports fit the default lookahead), so what follows
    /// can read the import's messages.
    func expanded() async throws {
        guard try await eventually(timeoutSeconds: 30, { try await daemon.store.stagedCounts().isEmpty }) else {
            throw HarnessError("staged import rows were not expanded within 30 s")
        }
    }

    /// Every message of an import, in row order when every key is the import's row key
    /// (a `high` row becomes a message at once, before the staged rows above it), else oldest first.
    func messages(ofImport id: String) async throws -> [MessageDocument] {
        let (status, body) = try await get("/v1/messages?import_id=\(id)&limit=1000")
        guard status == 200 else { throw HarnessError("list answered \(status)") }
        let messages = try JSONDecoder().decode(ListPage.self, from: Data(body)).messages.reversed() as [MessageDocument]
        let prefix = "imp-\(id)-r"
        guard messages.allSatisfy({ $0.idempotencyKey?.hasPrefix(prefix) == true }) else { return messages }
        return messages.sorted { $0.idempotencyKey! < $1.idempotencyKey! }
    }

    func allMessages() async throws -> [MessageDocument] {
        let (_, body) = try await get("/v1/messages?limit=1000")
        return try JSONDecoder().decode(ListPage.self, from: Data(body)).messages
    }
}

/// The records of a CSV file (a rejects file, say), as text.
func readCSV(_ path: String) throws -> [[String]] {
    let reader = try CSVRecordReader(path: path)
    var rows: [[String]] = []
    while let r = try reader.next() { rows.append(r.fields.map { String(decoding: $0, as: UTF8.self) }) }
    return rows
}
