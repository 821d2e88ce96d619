import OutboxCore

extension BatchResponse {
    /// The document as JSON, keys sorted, written in one pass: a batch answers one result per
    /// line (up to 10,000), and `JSONEncoder` spent more time on them than storing the lines.
    /// Decodes as the `Codable` form does (a test holds it to that).
    public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + results.count * 40)
        out.append(contentsOf: #"{"accepted":"#.utf8)
        out.append(contentsOf: String(accepted).utf8)
        out.append(contentsOf: #","rejected":"#.utf8)
        out.append(contentsOf: String(rejected).utf8)
        out.append(contentsOf: #","results":["#.utf8)
        for (i, r) in results.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            if r.error == nil, let d = r.duplicate, let id = r.id {
                // The common answer, written without a dictionary of keys to sort.
                out.append(contentsOf: d ? #"{"duplicate":true,"id":"#.utf8 : #"{"duplicate":false,"id":"#.utf8)
                JSONValue.writeString(id, into: &out)
                out.append(contentsOf: #","line":"#.utf8)
                out.append(contentsOf: String(r.line).utf8)
                out.append(UInt8(ascii: "}"))
                continue
            }
            var fields: [String: JSONValue] = ["line": .int(Int64(r.line))]
            if let d = r.duplicate { fields["duplicate"] = .bool(d) }
            if let id = r.id { fields["id"] = .string(id) }
            if let e = r.error {
                var error: [String: JSONValue] = ["code": .string(e.code.rawValue), "message": .string(e.message)]
                if let f = e.field { error["field"] = .string(f) }
                fields["error"] = .object(error)
            }
            JSONValue.object(fields).writeCanonical(into: &out)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }
}

extension SubmitResponse {
    /// The document as JSON, keys sorted, written directly: `JSONEncoder` cost more than the
    /// rest of a one-message submission's handler (seen in the profile of 16 clients).
    /// Decodes as the `Codable` form does (a test holds it to that).
    public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        out.append(UInt8(ascii: "{"))
        if let duplicate { out.append(contentsOf: (duplicate ? #""duplicate":true,"# : #""duplicate":false,"#).utf8) }
        out.append(contentsOf: #""id":"#.utf8)
        JSONValue.writeString(id, into: &out)
        out.append(contentsOf: #","state":"#.utf8)
        JSONValue.writeString(state.rawValue, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }
}
