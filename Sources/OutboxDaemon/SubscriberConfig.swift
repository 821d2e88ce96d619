import Foundation
import OutboxCore
import OutboxStore

/// One `[[subscribers]]` entry: a service the daemon POSTs events to, signed per the
/// Standard Webhooks specification.
public struct SubscriberConfig: Sendable, Equatable {
    /// Names the subscriber in `wa-outbox subscribers`, metrics and its stored cursor.
    public var name: String
    /// http(s) URL the events are POSTed to.
    public var url: String
    /// The HMAC-SHA256 key: the base64 after `whsec_` when the file holds that form (as the
    /// Standard Webhooks libraries generate it), else the file's text as UTF-8 bytes.
    public var secret: SigningKey
    /// Only these types (empty: every type).
    public var types: [EventType] = []
    /// Only these channels (nil: every channel; events without a channel, such as a
    /// subscriber failing, pass only without a channel filter).
    public var channels: [String]?
    /// Deadline of one POST.
    public var timeoutMillis: Int64 = 10_000
    /// Failing for longer than this marks the subscriber failing (an event, a metric, stats).
    public var giveUpAfterMillis: Int64 = 3_600_000
    /// Longest wait between two tries while it fails (full jitter below it).
    public var maxRetryDelayMillis: Int64 = 60_000
    /// Events per POST: 1 posts each event as the JSON object itself; more posts
    /// `{"events": [...]}` with up to this many, in cursor order.
    public var batchSize = 1

    public init(name: String, url: String, secret: SigningKey) {
        self.name = name
        self.url = url
        self.secret = secret
    }

    public var filter: EventFilter { EventFilter(types: types, channels: channels) }
}

/// A webhook signing key. Its description is redacted so it cannot reach a log or an error.
public struct SigningKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// `whsec_BASE64` as the Standard Webhooks specification writes secrets; any other text
    /// is the key as it is. Nil for a `whsec_` secret whose base64 does not decode.
    public init?(text: String) {
        if text.hasPrefix("whsec_") {
            guard let data = Data(base64Encoded: String(text.dropFirst(6))), !data.isEmpty else { return nil }
            bytes = [UInt8](data)
        } else {
            bytes = Array(text.utf8)
        }
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
