import OutboxAPI
import OutboxCore
import Testing
@testable import wa_outbox

@Suite("stats --watch: the live view")
struct StatsLiveViewTests {
    func channel(_ name: String, rate: Double = 0, limit: Int = 80, paused: String? = nil) -> ChannelStatus {
        ChannelStatus(name: name, api: "cloud", queued: 12_345, sending: 3, awaitingSettlement: 0, sent1m: 2_700, failed1m: 4, sent1h: 0,
                      failed1h: 0, rateMps: rate, limitMps: limit, inFlight: 3, paused: paused != nil, pauseReason: paused,
                      pausedUntil: nil, oldestQueuedAgeSeconds: nil, enforceWindow: true)
    }

    @Test("the bar fills with the rate against the limit and never past it")
    func bar() {
        let view = StatsLiveView(width: 200, maxBar: 10)
        #expect(view.rateCell(channel("a", rate: 0), bar: 10).hasPrefix("[..........] 0.0/80"))
        #expect(view.rateCell(channel("a", rate: 40), bar: 10).hasPrefix("[#####.....] 40.0/80"))
        #expect(view.rateCell(channel("a", rate: 80), bar: 10).hasPrefix("[##########] 80.0/80"))
        #expect(view.rateCell(channel("a", rate: 95), bar: 10).hasPrefix("[##########] 95.0/80"))
        #expect(view.rateCell(channel("a", rate: 500, limit: 0), bar: 10).hasPrefix("[          ] 500.0/-"))
    }

    @Test("a line per channel with its figures, the pause and why, the database size")
    func lines() {
        var doc = ChannelsDocument(channels: [channel("sales", rate: 40), channel("bulk", paused: "131048 spam rate limit hit")],
                                   databaseBytes: 3 * 1024 * 1024 / 2)
        doc.channels[0].openWindows = 87
        doc.channels[0].tierUsed = 1_234
        doc.channels[0].tierLimit = 2_000
        doc.channels[1].tierUsed = 5
        let lines = StatsLiveView(width: 200).lines(doc, at: "12:00:00")
        #expect(lines[0].contains("12:00:00"))
        #expect(lines[0].contains("database 1.5 MiB"))
        #expect(lines.count == 5)
        #expect(lines[3].hasPrefix("sales "))
        #expect(lines[3].contains("12,345"))
        #expect(lines[3].contains("2,700"))
        #expect(lines[3].contains(" 87 "))
        #expect(lines[3].contains("1,234/2,000"))
        #expect(lines[3].hasSuffix("running"))
        #expect(lines[4].contains("5/-"))
        #expect(lines[4].hasSuffix("PAUSED 131048 spam rate limit hit"))
    }

    @Test("fields the daemon does not send show as '-'; retention shows when a pass ran")
    func optionalFields() {
        var doc = ChannelsDocument(channels: [channel("a")], databaseBytes: 512)
        var line = StatsLiveView(width: 200).lines(doc, at: "t")[3]
        #expect(line.contains(" - "))
        #expect(!StatsLiveView(width: 200).lines(doc, at: "t")[0].contains("retention"))
        var pass = RetentionPass(startedMillis: 0, bodiesErased: 1_000, messagesDeleted: 20)
        pass.eraseBodiesAfterMillis = 30 * RetentionPolicy.day
        doc.retention = RetentionStatus(pass)
        line = StatsLiveView(width: 200).lines(doc, at: "t")[0]
        #expect(line.contains("database 512 B"))
        #expect(line.contains("retention: bodies 30d, rows kept (last pass 1,000 erased, 20 deleted)"))
    }

    @Test("no line is wider than the terminal, however long the pause reason")
    func width() {
        let doc = ChannelsDocument(channels: [channel("a-rather-long-channel-name", rate: 10, paused: String(repeating: "x", count: 300))], databaseBytes: 0)
        for width in [40, 80, 132] {
            let lines = StatsLiveView(width: width).lines(doc, at: "12:00:00")
            #expect(lines.allSatisfy { $0.count <= width })
            #expect(lines[3].hasSuffix("…"))
        }
    }
}
