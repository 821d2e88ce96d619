/// A rolling one-hour budget of requests, for the management API (template listing), which
/// Meta limits per hour (200 per app and WABA, 5,000 for an active WABA; WHATSAPP-API.md §4.2)
/// apart from `/messages`. Pure: time comes in as `nowMillis`.
public struct RequestBudget: Sendable, Equatable {
    public static let windowMillis: Int64 = 3_600_000
    public let perHour: Int
    /// Start times of the requests of the last hour, oldest first.
    private var starts: [Int64] = []

    public init(perHour: Int) { self.perHour = max(1, perHour) }

    /// Requests made in the hour before `nowMillis`.
    public mutating func used(nowMillis: Int64) -> Int {
        starts.removeAll { $0 <= nowMillis - Self.windowMillis }
        return starts.count
    }

    /// Takes one request if the budget has room; false when it is used up.
    public mutating func take(nowMillis: Int64) -> Bool {
        guard used(nowMillis: nowMillis) < perHour else { return false }
        starts.append(nowMillis)
        return true
    }

    /// When the next request fits (now if it does now).
    public mutating func nextFreeMillis(nowMillis: Int64) -> Int64 {
        used(nowMillis: nowMillis) < perHour ? nowMillis : TimeMath.add(starts[0], Self.windowMillis)
    }
}
