/// Where a message stands. Transitions only move forward; final states never change,
/// except that delivery statuses (`delivered`, `read`) may still upgrade `sent`.
public enum MessageState: String, Sendable, CaseIterable, Codable {
    case queued, sending, sent, delivered, read, failed, expired, cancelled

    /// True once the daemon will never hand the message to the API again.
    public var isFinal: Bool {
        switch self {
        case .queued, .sending: false
        default: true
        }
    }

    /// True for states reached after the API took the message.
    public var wasAccepted: Bool {
        switch self {
        case .sent, .delivered, .read: true
        default: false
        }
    }
}
