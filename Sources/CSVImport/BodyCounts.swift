/// The same number of body parameters in every row of one template: a file whose rows
/// disagree almost always has a shifted column. Checked on the client, before rows leave it,
/// in every mode (a dry run, NDJSON, the rows endpoint), from the record's fields alone: the
/// first row naming a template (with its body parameters filled without gaps) sets its count.
/// A row the daemon later refuses for another reason may have set it; that is the rule's
/// meaning ("the first row of the template"), the same in a dry run and a real one.
struct BodyCounts {
    let columns: ImportColumns
    let defaultTemplate: String?
    /// Per template: how many body parameters the first row gave it, and that row.
    private(set) var first: [String: (count: Int, row: Int)] = [:]
    /// Bounds memory on a file with a different template in every row.
    static let maxTemplatesTracked = 10_000

    init(columns: ImportColumns, template: String?) {
        self.columns = columns
        self.defaultTemplate = template?.trimmingSpaces.nilIfEmpty
    }

    /// Why `record` (well-formed, with the header's field count) cannot be queued for its
    /// body parameter count; nil when it can, or when its other faults are left to the row's
    /// own checks (no template, a gap, text that is not UTF-8).
    mutating func check(_ record: CSVRecord) -> String? {
        guard columns.isTemplate, record.fields.count == columns.count else { return nil }
        var own: String?
        if let column = columns.template {
            guard let text = String(validating: record.fields[column], as: UTF8.self) else { return nil }
            own = text.trimmingSpaces.nilIfEmpty
        }
        guard let name = own ?? defaultTemplate else { return nil }
        let body = columns.body.map { record.fields[$0] }
        let count = body.lastIndex(where: { !$0.isEmpty }).map { $0 + 1 } ?? 0
        guard !body[..<count].contains(where: \.isEmpty) else { return nil }
        if let known = first[name] {
            guard known.count == count else {
                return "template '\(name)' has \(known.count) body parameter\(known.count == 1 ? "" : "s") in row \(known.row) but \(count) here; every row of a template fills the same {{1}}, {{2}}, ..."
            }
        } else if first.count < Self.maxTemplatesTracked {
            first[name] = (count, record.row)
        }
        return nil
    }
}
