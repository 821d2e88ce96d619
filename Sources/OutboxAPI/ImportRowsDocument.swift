import OutboxCore

/// The answer to `POST /v1/imports/{id}/rows`: how many of the batch's rows were queued now,
/// how many were there already (an earlier run of the same import stored them), and each
/// refused row with its reason. Rows are named by their number in the file, not by position.
public struct ImportRowsDocument: Sendable, Equatable, Codable {
    public struct Rejected: Sendable, Equatable, Codable {
        public var row: Int
        public var reason: String

        public init(row: Int, reason: String) {
            self.row = row
            self.reason = reason
        }
    }

    public var accepted: Int
    public var duplicates: Int
    public var rejected: [Rejected]

    public init(accepted: Int, duplicates: Int, rejected: [Rejected]) {
        self.accepted = accepted
        self.duplicates = duplicates
        self.rejected = rejected
    }

    /// The document as JSON, keys sorted.
    public var jsonBytes: [UInt8] {
        JSONValue.object([
            "accepted": .int(Int64(accepted)),
            "duplicates": .int(Int64(duplicates)),
            "rejected": .array(rejected.map { .object(["row": .int(Int64($0.row)), "reason": .string($0.reason)]) }),
        ]).canonicalBytes
    }

    /// Reads the document with OutboxCore's parser; nil when it is not one.
    public init?(parsing bytes: [UInt8]) {
        guard let json = try? JSONParser.parse(bytes), case .int(let accepted)? = json["accepted"], case .int(let duplicates)? = json["duplicates"],
              let list = json["rejected"]?.arrayValue, (0...Int64(Int32.max)).contains(accepted), (0...Int64(Int32.max)).contains(duplicates)
        else { return nil }
        var rejected: [Rejected] = []
        rejected.reserveCapacity(list.count)
        for item in list {
            guard case .int(let row)? = item["row"], (0...Int64(Int32.max)).contains(row), let reason = item["reason"]?.stringValue else { return nil }
            rejected.append(Rejected(row: Int(row), reason: reason))
        }
        self.init(accepted: Int(accepted), duplicates: Int(duplicates), rejected: rejected)
    }
}
