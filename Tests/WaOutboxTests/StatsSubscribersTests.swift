import OutboxAPI
import Testing
@testable import wa_outbox

@Suite("stats: the subscribers line")
struct StatsSubscribersTests {
    func subscriber(_ name: String, lag: Int, failing: Bool) -> SubscribersDocument.Subscriber {
        .init(name: name, url: "http://127.0.0.1/\(name)", cursor: "10", newestCursor: "\(10 + lag)", lag: lag, lagSeconds: 0, failing: failing,
              failingSince: failing ? "2026-12-02T01:00:00.000Z" : nil, lastError: failing ? "HTTP 503" : nil, lastErrorAt: nil,
              lastSuccessAt: nil, failures: failing ? 9 : 0, types: [], channels: nil)
    }

    @Test("no line without subscribers; failing ones are named with since when and why")
    func line() {
        #expect(Stats.subscribersLine(SubscribersDocument(subscribers: [])) == nil)
        let ok = Stats.subscribersLine(SubscribersDocument(subscribers: [subscriber("crm", lag: 3, failing: false)]))
        #expect(ok == "subscribers: 1, largest lag 3 events, none failing")
        let bad = Stats.subscribersLine(SubscribersDocument(subscribers: [subscriber("crm", lag: 3, failing: false), subscriber("desk", lag: 500, failing: true)]))
        #expect(bad == "subscribers: 2, largest lag 500 events; FAILING: desk since 2026-12-02T01:00:00.000Z (HTTP 503)")
    }
}
