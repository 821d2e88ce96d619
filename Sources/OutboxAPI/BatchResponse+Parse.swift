import OutboxCore

extension BatchResponse {
    /// Reads a batch answer with OutboxCore's parser: the importer reads one per 1,000 rows,
    /// and `JSONDecoder` spent about 8 µs per row on them, the client's largest cost after
    /// the rows themselves. Accepts what the `Codable` form accepts from the daemon (a test
    /// holds the two to the same documents); nil when the bytes are not such a document.
    public init?(parsing bytes: [UInt8]) {
        guard case .object(let o)? = try? JSONParser.parse(bytes),
              let accepted = Self.int(o["accepted"]), let rejected = Self.int(o["rejected"]),
              let list = o["results"]?.arrayValue else { return nil }
        var results: [LineResult] = []
        results.reserveCapacity(list.count)
        for item in list {
            guard case .object(let r) = item, let line = Self.int(r["line"]) else { return nil }
            var result = LineResult(line: line)
            switch r["id"] {
            case nil, .null?: break
            case .string(let id)?: result.id = id
            default: return nil
            }
            switch r["duplicate"] {
            case nil, .null?: break
            case .bool(let d)?: result.duplicate = d
            default: return nil
            }
            switch r["error"] {
            case nil, .null?: break
            case .object(let e)?:
                guard let raw = e["code"]?.stringValue, let code = APIErrorCode(rawValue: raw), let message = e["message"]?.stringValue else { return nil }
                let field: String?
                switch e["field"] {
                case nil, .null?: field = nil
                case .string(let f)?: field = f
                default: return nil
                }
                result.error = APIErrorBody(code, message, field: field).error
            default: return nil
            }
            results.append(result)
        }
        self.init(accepted: accepted, rejected: rejected, results: results)
    }

    private static func int(_ v: JSONValue?) -> Int? {
        if case .int(let i)? = v { return Int(exactly: i) }
        return nil
    }
}
