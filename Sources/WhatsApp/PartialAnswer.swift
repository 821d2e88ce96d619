import OutboxCore

/// A 2xx whose body could not be read to the end (the connection reset mid-body, the read
/// timed out, the body was too long). The status line says the API took the message, so
/// the answer is not thrown away: when the part that arrived holds the message id it is a
/// success like any other; without it the outcome is unknown (the message was most likely
/// sent, but no wamid ties later statuses to it), never a failure that would resend at once.
public enum PartialAnswer {
    /// - Parameter reason: why the body could not be read, in words ("read timeout").
    public static func classify(status: Int, partialBody: [UInt8], reason: String) -> SendResult {
        if let wamid = wamid(in: partialBody) {
            return .accepted(wamid: wamid, messageStatus: nil)
        }
        return .unknown(detail: "HTTP \(status) whose body could not be read (\(reason)): the API took the request, but its message id did not arrive")
    }

    /// The first message id of a (possibly cut) answer: the first complete `"id": "..."`
    /// string after `"messages"`, as both API shapes put it (`{"messages":[{"id":"wamid..."}]}`).
    /// A value with an escape in it is not trusted (ids never have one).
    public static func wamid(in body: [UInt8]) -> String? {
        guard let afterMessages = find(Array(#""messages""#.utf8), in: body, from: 0) else { return nil }
        var i = afterMessages
        while let afterKey = find(Array(#""id""#.utf8), in: body, from: i) {
            var j = afterKey
            while j < body.count, body[j] == UInt8(ascii: " ") || body[j] == UInt8(ascii: "\n") || body[j] == UInt8(ascii: "\r") || body[j] == UInt8(ascii: "\t") { j += 1 }
            guard j < body.count, body[j] == UInt8(ascii: ":") else { i = afterKey; continue }
            j += 1
            while j < body.count, body[j] == UInt8(ascii: " ") || body[j] == UInt8(ascii: "\n") || body[j] == UInt8(ascii: "\r") || body[j] == UInt8(ascii: "\t") { j += 1 }
            guard j < body.count, body[j] == UInt8(ascii: "\"") else { return nil }
            let start = j + 1
            guard let end = body[start...].firstIndex(of: UInt8(ascii: "\"")), end > start else { return nil }
            let value = body[start..<end]
            guard !value.contains(UInt8(ascii: "\\")), let text = String(validating: value, as: UTF8.self) else { return nil }
            return text
        }
        return nil
    }

    /// The index just past the first occurrence of `needle` at or after `from`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var i = from
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i + needle.count }
            i += 1
        }
        return nil
    }
}
