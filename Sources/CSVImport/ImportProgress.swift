/// An import's figures while it runs, as progress lines show them.
public struct ImportProgress: Sendable, Equatable {
    public var rows: Int
    public var accepted: Int
    public var duplicates: Int
    public var rejected: Int
    /// Every row up to this spreadsheet row number is handled.
    public var throughRow: Int

    public init(rows: Int, accepted: Int, duplicates: Int, rejected: Int, throughRow: Int) {
        self.rows = rows
        self.accepted = accepted
        self.duplicates = duplicates
        self.rejected = rejected
        self.throughRow = throughRow
    }
}
