import Foundation
import OutboxAPI

/// The screen of `stats --watch`, as a pure function of the channels document and the
/// terminal's width: one header line, one line per channel, no line wider than `width`.
/// The loop that fetches and draws it lives in `Stats+Watch.swift`.
struct StatsLiveView {
    /// Columns available; lines are cut to it.
    var width: Int
    /// Cells of the rate bar at most (it shrinks on narrow terminals).
    var maxBar = 20

    func lines(_ doc: ChannelsDocument, at time: String) -> [String] {
        var header = "wa-outbox  \(time)  \(doc.channels.count) channel\(doc.channels.count == 1 ? "" : "s")  database \(Self.bytes(doc.databaseBytes))"
        if let r = doc.retention {
            header += "  retention: bodies \(r.eraseBodiesAfter ?? "kept"), rows \(r.deleteAfter ?? "kept")"
            let done = r.bodiesErased + r.messagesDeleted
            if done > 0 { header += " (last pass \(Self.count(r.bodiesErased)) erased, \(Self.count(r.messagesDeleted)) deleted)" }
        }
        let nameWidth = max(7, doc.channels.map(\.name.count).max() ?? 0)
        // Fixed columns besides the bar: name, rate text, the numbers, the state's start.
        let fixed = nameWidth + 2 + 14 + 9 * 5 + 12 + 2 + 8
        let bar = max(5, min(maxBar, width - fixed))
        var out = [header, ""]
        let head = pad("CHANNEL", nameWidth) + "  " + pad("RATE/LIMIT", bar + 2 + 14) + right("QUEUED", 9) + right("FLIGHT", 9)
            + right("SENT 1M", 9) + right("FAIL 1M", 9) + right("WINDOWS", 9) + "  " + pad("TIER", 12) + "  STATE"
        out.append(head)
        for c in doc.channels {
            var line = pad(c.name, nameWidth) + "  " + rateCell(c, bar: bar)
            line += right(Self.count(c.queued), 9) + right(Self.count(c.inFlight), 9)
            line += right(Self.count(c.sent1m), 9) + right(Self.count(c.failed1m), 9)
            line += right(c.openWindows.map(Self.count) ?? "-", 9) + "  " + pad(tier(c), 12) + "  " + state(c)
            out.append(line)
        }
        if doc.channels.isEmpty { out.append("(no channels)") }
        return out.map(cut)
    }

    /// `[#####.....] 45.0/80` against the limit; unlimited channels show the rate alone.
    func rateCell(_ c: ChannelStatus, bar: Int) -> String {
        let rate = String(format: "%.1f", c.rateMps)
        guard c.limitMps > 0 else { return pad("[" + String(repeating: " ", count: bar) + "] " + rate + "/-", bar + 2 + 14) }
        let filled = min(bar, Int((c.rateMps / Double(c.limitMps) * Double(bar)).rounded()))
        let cells = String(repeating: "#", count: max(0, filled)) + String(repeating: ".", count: bar - max(0, filled))
        return pad("[" + cells + "] " + rate + "/\(c.limitMps)", bar + 2 + 14)
    }

    /// The portfolio's messaging limit in use: `used/limit`, `used/-` unlimited, blank when unknown.
    func tier(_ c: ChannelStatus) -> String {
        guard let used = c.tierUsed else { return "-" }
        return Self.count(used) + "/" + (c.tierLimit.map(Self.count) ?? "-")
    }

    func state(_ c: ChannelStatus) -> String {
        var s = c.paused ? "PAUSED \(c.pauseReason ?? "")" + (c.pausedUntil.map { " until \($0)" } ?? "") : "running"
        if c.awaitingSettlement > 0 { s += ", \(c.awaitingSettlement) unknown" }
        if let age = c.oldestQueuedAgeSeconds, age >= 60 { s += ", oldest queued \(Self.age(age))" }
        return s
    }

    func cut(_ line: String) -> String {
        guard line.count > width else { return line }
        return width <= 1 ? String(line.prefix(width)) : String(line.prefix(width - 1)) + "…"
    }

    /// `s` left-aligned in `n` columns (longer text pushes the line on; `cut` bounds it).
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    /// `s` right-aligned in `n` columns, with at least one space before it.
    func right(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }

    /// 1234567 → "1,234,567".
    static func count(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func age(_ seconds: Double) -> String {
        seconds >= 3600 ? String(format: "%.1fh", seconds / 3600) : String(format: "%.0fm", seconds / 60)
    }
}
