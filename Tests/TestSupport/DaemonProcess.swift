import Foundation
import OutboxClient

/// The real `wa-outbox` executable in a child process, for what only a process shows:
/// `kill -9`, signals, exit statuses.
public final class DaemonProcess: @unchecked Sendable {
    public let process: ChildProcess
    public let logPath: String

    /// The built `wa-outbox` binary next to the test bundle.
    public static var binaryPath: String {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            bundleDir.appendingPathComponent("wa-outbox").path,
            bundleDir.deletingLastPathComponent().appendingPathComponent("wa-outbox").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/wa-outbox").standardized.path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    public init(arguments: [String], logPath: String) throws {
        self.logPath = logPath
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process = try ChildProcess(executable: Self.binaryPath, arguments: arguments, logPath: logPath)
    }

    public func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits for the process to exit and returns its status.
    public func wait(timeoutSeconds: Double = 30) async throws -> Int32 {
        let ok = try await eventually(timeoutSeconds: timeoutSeconds) { !process.isRunning }
        guard ok else {
            signal(SIGKILL)
            throw HarnessError("process did not exit; log:\n\(log)")
        }
        return process.terminationStatus
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the daemon answers on its socket.
    public func waitUntilReady(socketPath: String) async throws {
        let client = DaemonClient(socketPath: socketPath, timeoutSeconds: 2)
        let ok = try await eventually(timeoutSeconds: 20) {
            guard process.isRunning else { return true }
            return (try? await client.call(.GET, "/v1/health").status) == 200
        }
        await client.shutdown()
        guard ok, process.isRunning else { throw HarnessError("daemon did not start; log:\n\(log)") }
    }
}
