/// Scheduling class of a message. Lower rank leaves first.
public enum Priority: String, Sendable, CaseIterable, Codable, Comparable {
    case high, normal, bulk

    /// Stored in SQLite as this number; the dispatcher serves ranks in ascending order.
    public var rank: Int {
        switch self {
        case .high: 0
        case .normal: 1
        case .bulk: 2
        }
    }

    public init?(rank: Int) {
        guard let p = Priority.allCases.first(where: { $0.rank == rank }) else { return nil }
        self = p
    }

    public static func < (a: Priority, b: Priority) -> Bool { a.rank < b.rank }
}
