/// The recipient faults in force, indexed by the recipient's digits, with how many uses each
/// has left. Faults for the same recipient are used in the order they were given.
struct RecipientFaultBook: Sendable {
    private let faults: [RecipientFault]
    /// Uses left per fault; nil means unlimited.
    private var remaining: [Int?]
    private let byDigits: [String: [Int]]

    init(_ faults: [RecipientFault]) {
        self.faults = faults
        self.remaining = faults.map(\.times)
        var index: [String: [Int]] = [:]
        for (i, fault) in faults.enumerated() {
            index[PhoneNumber.digits(of: fault.to), default: []].append(i)
        }
        self.byDigits = index
    }

    var isEmpty: Bool { byDigits.isEmpty }

    /// The fault to apply to a request for `digits`, consuming one of its uses.
    mutating func take(digits: String) -> RecipientFault? {
        guard let candidates = byDigits[digits] else { return nil }
        for i in candidates {
            switch remaining[i] {
            case nil:
                return faults[i]
            case let left? where left > 0:
                remaining[i] = left - 1
                return faults[i]
            default:
                continue
            }
        }
        return nil
    }
}
