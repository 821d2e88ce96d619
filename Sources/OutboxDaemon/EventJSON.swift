import OutboxCore
import OutboxStore

/// Renders logged events as the feed and the subscribers show them:
/// `{"cursor", "at", "type", "channel", "message_id", ...the type's own fields}`.
/// Written directly (no JSONEncoder): a page holds up to 1,000 of them.
enum EventJSON {
    /// One event as a JSON object.
    static func write(_ e: LoggedEvent, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"cursor":""#.utf8)
        out.append(contentsOf: String(e.id).utf8)
        out.append(contentsOf: #"","at":""#.utf8)
        out.append(contentsOf: RFC3339.format(millis: e.atMillis).utf8)
        out.append(contentsOf: #"","type":"#.utf8)
        JSONValue.writeString(e.type, into: &out)
        out.append(contentsOf: #","channel":"#.utf8)
        if let c = e.channel { JSONValue.writeString(c, into: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: #","message_id":"#.utf8)
        if let m = e.messageID {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: String(m).utf8)
            out.append(UInt8(ascii: "\""))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        // The stored fields are a canonical JSON object: its members join the event's.
        if let data = e.data, data.utf8.count > 2, data.utf8.first == UInt8(ascii: "{") {
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: data.utf8.dropFirst())
        } else {
            out.append(UInt8(ascii: "}"))
        }
    }

    static func object(_ e: LoggedEvent) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(e, into: &out)
        return out
    }

    /// `{"events": [...]}`: one subscriber POST of several events.
    static func batch(_ events: [LoggedEvent]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + events.count * 256)
        out.append(contentsOf: #"{"events":["#.utf8)
        for (i, e) in events.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(e, into: &out)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    /// `{"events": [...], "next_cursor": "..."}`
    static func page(_ page: EventPage) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + page.events.count * 256)
        out.append(contentsOf: #"{"events":["#.utf8)
        for (i, e) in page.events.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(e, into: &out)
        }
        out.append(contentsOf: #"],"next_cursor":""#.utf8)
        out.append(contentsOf: String(page.nextCursor).utf8)
        out.append(contentsOf: #""}"#.utf8)
        return out
    }
}
