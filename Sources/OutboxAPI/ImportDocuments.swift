/// `GET /v1/imports/{id}`: the messages of one bulk import, counted per state.
public struct ImportStatesDocument: Codable, Sendable, Equatable {
    public var importID: String
    /// Every state, zeros included, so scripts can read any of them.
    public var states: [String: Int]
    public var total: Int

    enum CodingKeys: String, CodingKey { case importID = "import_id", states, total }

    public init(importID: String, states: [String: Int], total: Int) {
        self.importID = importID
        self.states = states
        self.total = total
    }
}

/// `DELETE /v1/imports/{id}` (`wa-outbox cancel --import ID`): how many still-queued
/// messages of the import were cancelled.
public struct ImportCancelDocument: Codable, Sendable, Equatable {
    public var importID: String
    public var cancelled: Int

    enum CodingKeys: String, CodingKey { case importID = "import_id", cancelled }

    public init(importID: String, cancelled: Int) {
        self.importID = importID
        self.cancelled = cancelled
    }
}
