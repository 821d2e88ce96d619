/// What a template's new status does to its queued messages (WHATSAPP-API.md §4.6): Meta pauses
/// a template of low quality for 3 h the first time and 6 h the second, and disables it the
/// third. A pause holds the messages until it ends; APPROVED again releases them; DISABLED
/// fails them. Pure: the store carries the effect out.
public enum TemplateStatusRule {
    public static let firstPauseMillis: Int64 = 3 * 3_600_000
    public static let laterPauseMillis: Int64 = 6 * 3_600_000

    public enum Effect: Sendable, Equatable {
        /// Hold the template's queued messages until then.
        case hold(untilMillis: Int64)
        /// Release the held ones now.
        case release
        /// Fail the queued ones with this reason.
        case fail(String)
        /// Only recorded (and shown).
        case none
    }

    /// When a pause that begins now ends: 3 h for the first, 6 h after that. `hint` is the
    /// webhook's `other_info.title` (`FIRST_PAUSE`, `SECOND_PAUSE`) when it says.
    public static func pauseEnd(pausesBefore: Int, hint: String? = nil, nowMillis: Int64) -> Int64 {
        let first = hint.map { $0.uppercased() == "FIRST_PAUSE" } ?? (pausesBefore == 0)
        return TimeMath.add(nowMillis, first ? firstPauseMillis : laterPauseMillis)
    }

    /// The effect of a template's `status` on its queued messages.
    public static func effect(status: String, name: String, pausesBefore: Int, hint: String? = nil, nowMillis: Int64) -> Effect {
        switch status.uppercased() {
        case "PAUSED": .hold(untilMillis: pauseEnd(pausesBefore: pausesBefore, hint: hint, nowMillis: nowMillis))
        case "APPROVED", "ACTIVE": .release
        case "DISABLED": .fail("template '\(name)' is disabled (paused too often)")
        case "REJECTED", "DELETED", "PENDING_DELETION": .fail("template '\(name)' is \(status.lowercased())")
        default: .none
        }
    }
}
