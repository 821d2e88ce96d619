import OutboxAPI
import Testing
@testable import wa_outbox

/// What `templates list` and `stats` print about the catalog.
@Suite("templates list and the stats catalog line")
struct TemplatesCommandTests {
    static let sale = TemplateDocument(channel: "sales", name: "spring_sale", language: "en_US", category: "marketing", status: "PAUSED", quality: "RED",
                                       header: .init(format: "image", parameters: 1), bodyParameters: 1, bodyNames: [], buttons: [],
                                       parameters: "header:image body:1", pausedUntil: "2026-12-02T05:00:00.000Z")

    @Test("a row per template with its category, status (and pause end) and parameters; a hint when nothing is synced")
    func list() {
        let text = Templates.List.render(TemplatesDocument(templates: [Self.sale]))
        #expect(text.contains("spring_sale") && text.contains("marketing") && text.contains("PAUSED (paused until 2026-12-02T05:00:00.000Z)"))
        #expect(text.contains("header:image body:1"))
        #expect(Templates.List.render(TemplatesDocument(templates: [])).contains("templates sync"))
    }

    @Test("stats names each channel's catalog: size, paused, last sync, last failure")
    func statsLine() {
        var c = ChannelStatus(name: "sales", api: "cloud", queued: 0, sending: 0, awaitingSettlement: 0, sent1m: 0, failed1m: 0, sent1h: 0, failed1h: 0,
                              rateMps: 0, limitMps: 80, inFlight: 0, paused: false, pauseReason: nil, pausedUntil: nil, oldestQueuedAgeSeconds: nil,
                              enforceWindow: true)
        c.templates = CatalogStatus(count: 250, paused: 3, syncedAt: "2026-12-02T03:00:00.000Z", lastError: "HTTP 401: Invalid api_key")
        let text = Stats.render(ChannelsDocument(channels: [c], databaseBytes: 0, portfolios: nil, retention: nil))
        #expect(text.contains("templates (sales): 250, 3 paused; last synced 2026-12-02T03:00:00.000Z; last sync failed: HTTP 401: Invalid api_key"))
    }
}
