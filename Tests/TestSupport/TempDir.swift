import Foundation

/// A fresh folder under /tmp with a short path (Unix socket paths must stay under ~107 bytes),
/// removed when the value is released.
public final class TempDir: Sendable {
    public let path: String

    public init() {
        let path = "/tmp/wao-\(UInt32.random(in: .min ... .max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = path
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes an API key file with mode 0600.
    @discardableResult
    public func keyFile(_ name: String, key: String, mode: Int = 0o600) -> String {
        let p = file(name)
        FileManager.default.createFile(atPath: p, contents: Data(key.utf8), attributes: [.posixPermissions: mode])
        return p
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
