import Foundation

/// The PostgreSQL server `scripts/test` starts for the suite (a private one, Unix socket only),
/// named by `WA_OUTBOX_TEST_POSTGRES`. Tests that need it are enabled only when it is set, so
/// `swift test` alone still runs everything else; `scripts/test` always sets it.
public enum TestPostgres {
    public static let variable = "WA_OUTBOX_TEST_POSTGRES"
    /// The server's URL, or nil when the suite runs without one.
    public static let url: String? = ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    public static var available: Bool { url != nil }
    /// Why PostgreSQL tests were skipped, for `.enabled(if:_:)`.
    public static let skipReason = "\(variable) is not set: run scripts/test, which starts a private PostgreSQL"

    /// A schema name no other test uses: each store under test gets its own.
    public static func freshSchema() -> String { "t_" + String(UInt64.random(in: .min ... .max), radix: 36) }
}
