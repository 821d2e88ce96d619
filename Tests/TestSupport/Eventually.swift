import Foundation

/// Polls `condition` until it holds or `timeoutSeconds` of real time pass. For waiting on the
/// daemon's own progress in end-to-end tests, not for simulating time (use `ManualClock`).
public func eventually(timeoutSeconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
    return try await condition()
}
