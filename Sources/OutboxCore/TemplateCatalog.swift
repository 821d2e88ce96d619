/// A channel's synced templates, by name and language, for the checks at submission. Without a
/// sync (`syncedMillis == nil`), or with an empty list, it knows nothing and refuses nothing.
public struct TemplateCatalog: Sendable, Equatable {
    /// When the catalog was last synced in full; nil: never.
    public var syncedMillis: Int64?
    private var byName: [String: [String: TemplateSpec]] = [:]

    public init(_ specs: [TemplateSpec] = [], syncedMillis: Int64?) {
        self.syncedMillis = syncedMillis
        for s in specs { byName[s.name, default: [:]][s.language] = s }
    }

    public static let empty = TemplateCatalog(syncedMillis: nil)

    public var count: Int { byName.values.reduce(0) { $0 + $1.count } }
    public var specs: [TemplateSpec] { byName.values.flatMap(\.values) }

    public func spec(name: String, language: String) -> TemplateSpec? { byName[name]?[language] }

    /// Replaces one template's status (a status webhook between syncs).
    public mutating func setStatus(_ status: String, name: String, language: String) {
        byName[name]?[language]?.status = status
    }
}

/// What the catalog says of one template submission.
public enum TemplateVerdict: Sendable, Equatable {
    /// No synced catalog, or not a template: nothing to say.
    case unchecked
    /// The template is in the catalog and the submission fits it.
    case fits(TemplateSpec)
    /// The submission cannot succeed; the field is a dotted path from the submission (`message.…`).
    case invalid(ValidationError)
}
