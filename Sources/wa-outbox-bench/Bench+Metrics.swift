import Foundation
import GRDB
import OutboxAPI

extension Bench {
    /// What scraping `/metrics` costs under full load: the aggregate dispatch (10 unlimited
    /// channels) run in pairs, once without and once with a scraper hitting the socket's
    /// `/metrics` `scrapesPerSecond` times a second (ten times a usual scrape rate, so the
    /// cost is visible), the order alternating between pairs so drift on this shared machine
    /// cancels. The figure is the median rate with the scraper over the median without.
    func metricsScrapeCost(scrapesPerSecond: Double = 10, pairs: Int = 3) async throws -> [ResultRow] {
        let per = scale.aggregatePerChannel
        var without: [Double] = []
        var with: [Double] = []
        var scrapes = 0
        var bodyBytes = 0
        var run = 0
        for pair in 0..<pairs {
            for scraping in pair % 2 == 0 ? [false, true] : [true, false] {
                let scraper = scraping ? Task { try await self.scrape(every: 1 / scrapesPerSecond) } : nil
                let rate = try await aggregateRate(perChannel: per, offset: 80_000_000 + run * 1_000_000)
                run += 1
                if let scraper {
                    scraper.cancel()
                    let (n, bytes) = try await scraper.value
                    scrapes += n
                    bodyBytes = bytes
                    with.append(rate)
                } else {
                    without.append(rate)
                }
            }
        }
        let (_, body) = try await socket(.GET, "/metrics")
        let text = String(decoding: body, as: UTF8.self)
        func sample(_ name: String) -> Double { text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last!) } ?? .nan }
        let refreshes = sample("wa_outbox_metrics_refresh_seconds_count")
        let refreshMillis = sample("wa_outbox_metrics_refresh_seconds_sum") / refreshes * 1000
        let a = median(without), b = median(with)
        let cost = 1 - b / a
        return [ResultRow(
            figure: "scraping /metrics under full load (aggregate dispatch, \(fmt(scrapesPerSecond)) scrapes/s)",
            value: "\(fmt(b)) vs \(fmt(a)) sends/s without (median of \(with.count) pairs; ratio \(fmt(b / a, 3))); \(scrapes) scrapes of \(bodyBytes / 1024) KiB",
            target: "costs < 1 % of throughput",
            ceiling: "store read per refresh (at most every 5 s): \(fmt(refreshMillis, 2)) ms avg over \(fmt(refreshes)); runs without: \(without.map { fmt($0) }.joined(separator: ", ")); with: \(with.map { fmt($0) }.joined(separator: ", "))",
            pass: cost < 0.01)]
    }

    /// Submits `perChannel` messages to each of the 10 unlimited channels, waits until they
    /// are gone, and returns the sends per second the audit trail shows for this run.
    func aggregateRate(perChannel per: Int, offset: Int) async throws -> Double {
        var interleaved: [String] = []
        let byChannel = Self.channels.enumerated().map { c, name in lines(count: per, channel: name, offset: offset + c * 100_000, notBefore: nil) }
        for i in 0..<per { for c in byChannel.indices { interleaved.append(byChannel[c][i]) } }
        let since = Int64(Date().timeIntervalSince1970 * 1000)
        try await submitAll(interleaved)
        // Polled slowly: `/v1/channels` reads the store too, and must not dwarf the scraper.
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            let (_, body) = try await socket(.GET, "/v1/channels")
            let doc = try JSONDecoder().decode(ChannelsDocument.self, from: Data(body))
            if doc.channels.filter({ Self.channels.contains($0.name) }).allSatisfy({ $0.queued == 0 && $0.sending == 0 }) { break }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        let starts = try await database().read { db in
            try Int64.fetchAll(db, sql: "SELECT at FROM attempts WHERE at >= ? AND channel IN (\(Self.channels.map { "'\($0)'" }.joined(separator: ","))) ORDER BY at",
                               arguments: [since])
        }
        guard starts.count == per * Self.channels.count, let first = starts.first, let last = starts.last, last > first else {
            throw BenchError("aggregate run: \(starts.count) attempts for \(per * Self.channels.count) messages")
        }
        return Double(starts.count) / (Double(last - first) / 1000)
    }

    /// GETs the socket's `/metrics` every `interval` seconds until cancelled; returns how many
    /// scrapes were made and the last body's size.
    func scrape(every interval: Double) async throws -> (count: Int, bytes: Int) {
        var count = 0
        var bytes = 0
        var next = Date()
        while !Task.isCancelled {
            let status: Int, body: [UInt8]
            do {
                (status, body) = try await socket(.GET, "/metrics")
            } catch where Task.isCancelled {
                // Stopped mid-scrape (the load it ran beside is over): not a failure of the phase.
                break
            }
            guard status == 200 else { throw BenchError("/metrics answered \(status)") }
            count += 1
            bytes = body.count
            next = max(next.addingTimeInterval(interval), Date())
            let wait = next.timeIntervalSinceNow
            if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        }
        return (count, bytes)
    }
}

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
