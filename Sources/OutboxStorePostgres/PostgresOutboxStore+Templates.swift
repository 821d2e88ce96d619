import OutboxCore
import OutboxStore

/// The template catalog and the opt-out list (issue 15) are not on PostgreSQL yet: they need its
/// own migrations of SQLite's 0009/0010 (templates, template_sync, template_pauses, optouts, the
/// held columns). Reads answer "no catalog, nobody opted out" (so nothing is refused and stats
/// still answer); writes fail with a clear error.
extension PostgresOutboxStore {
    static func notYet(_ what: String) -> StoreError { .failed("not implemented on PostgreSQL yet: \(what) (templates and opt-outs are SQLite-only for now)") }

    public func setMarketingHold(millis: Int64) {}

    @discardableResult
    public func replaceCatalog(channel: String, specs: [TemplateSpec], nowMillis: Int64) async throws(StoreError) -> Int { throw Self.notYet("replaceCatalog") }
    public func catalogSyncFailed(channel: String, error: String, nowMillis: Int64) async throws(StoreError) { throw Self.notYet("catalogSyncFailed") }
    public func catalogs() async throws(StoreError) -> [String: TemplateCatalog] { [:] }
    public func templates(channel: String?, nowMillis: Int64) async throws(StoreError) -> [TemplateRecord] { [] }
    public func catalogStates(nowMillis: Int64) async throws(StoreError) -> [String: CatalogState] { [:] }
    public func addOptOut(channel: String, recipient: String, detail: String?, nowMillis: Int64) async throws(StoreError) -> Bool { throw Self.notYet("addOptOut") }
    public func removeOptOut(channel: String, recipient: String, nowMillis: Int64) async throws(StoreError) -> Bool { throw Self.notYet("removeOptOut") }
    public func optOut(channel: String, recipient: String) async throws(StoreError) -> OptOutRecord? { nil }
    public func optOuts(channel: String?, recipient: String?, limit: Int) async throws(StoreError) -> [OptOutRecord] { [] }
}
