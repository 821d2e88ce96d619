/// The kinds of change the event log records (CONTRACT.md, "Events"). The raw value is the
/// `type` of the event in the feed, in subscriber webhooks and in the `event_log` table.
public enum EventType: String, Sendable, CaseIterable, Codable {
    // A message's way.
    case accepted, sent, delivered, read, failed, expired, cancelled
    case unknownOutcome = "unknown_outcome"
    case settled
    /// A customer wrote to the channel.
    case inbound
    // A channel's state.
    case paused, resumed
    case rateChanged = "rate_changed"
    // A recipient's consent and a template's review (written by the features that own them).
    case optedOut = "opted_out"
    case optedIn = "opted_in"
    case statusChanged = "status_changed"
    // A subscriber of the feed stopped answering for longer than its give-up age, and came back.
    case subscriberFailing = "subscriber_failing"
    case subscriberRecovered = "subscriber_recovered"

    /// Parses a comma-separated list of types (`type=sent,failed`); nil names the first unknown one.
    public static func parseList(_ text: String) -> Result<[EventType], UnknownEventType> {
        var out: [EventType] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let name = part.trimmingCharacters(in: " ")
            guard let t = EventType(rawValue: String(name)) else { return .failure(UnknownEventType(name: String(name.prefix(64)))) }
            if !out.contains(t) { out.append(t) }
        }
        return .success(out)
    }
}

/// A name that is not an event type.
public struct UnknownEventType: Error, Sendable, Equatable {
    public var name: String
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return s
    }
}
