import OutboxCore
import OutboxStore
import Synchronization

/// Each channel's synced template catalog, in memory for the checks at submission (a lookup
/// per template message, no database read). Reloaded from the store after each sync and each
/// template status webhook.
final class TemplateCatalogs: Sendable {
    private let byChannel = Mutex<[String: TemplateCatalog]>([:])
    let store: any OutboxStore

    init(store: any OutboxStore) { self.store = store }

    /// The channel's catalog; `.empty` (refuses nothing) before its first sync.
    func catalog(_ channel: String) -> TemplateCatalog { byChannel.withLock { $0[channel] ?? .empty } }

    /// Reads every channel's catalog from the store again.
    func reload() async throws(StoreError) {
        let all = try await store.catalogs()
        byChannel.withLock { $0 = all }
    }
}
