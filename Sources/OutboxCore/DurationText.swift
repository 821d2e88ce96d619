import Foundation

/// Durations as configuration and the CLI write them: a number and a unit,
/// `"500ms"`, `"30s"`, `"5m"`, `"24h"`, `"7d"`.
public enum DurationText {
    /// Milliseconds for a duration text, or nil when it is not one.
    public static func milliseconds(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            let number = t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            guard let value = Double(number), value >= 0, value.isFinite else { return nil }
            // Pinned, not trapping: "1e17s" is Int64.max here, and the config's range refuses it.
            return TimeMath.int64(value * scale)
        }
        return nil
    }

    /// The shortest exact text for a number of milliseconds.
    public static func format(milliseconds ms: Int64) -> String {
        if ms % 86_400_000 == 0, ms > 0 { return "\(ms / 86_400_000)d" }
        if ms % 3_600_000 == 0, ms > 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0, ms > 0 { return "\(ms / 60_000)m" }
        if ms % 1_000 == 0 { return "\(ms / 1_000)s" }
        return "\(ms)ms"
    }
}
