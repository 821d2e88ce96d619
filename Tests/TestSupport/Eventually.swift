import Foundation
import OutboxCore

/// Polls `condition` until it holds or `timeoutSeconds` of real time pass. For waiting on the
/// daemon's own progress in end-to-end tests, not for simulating time (use `ManualClock`).
public func eventually(timeoutSeconds: Double = 30, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
    return try await condition()
}

/// A time `days` ahead of the wall clock, at midnight UTC, as milliseconds and RFC 3339 text
/// (inside the 366-day horizon submissions may be scheduled in; a fixed date would fall out
/// of it or into the past as the calendar moves).
public func daysAhead(_ days: Int64) -> (millis: Int64, text: String) {
    let today = Int64(Date().timeIntervalSince1970) / 86_400
    let millis = (today + days) * 86_400_000
    return (millis, RFC3339.format(millis: millis))
}
