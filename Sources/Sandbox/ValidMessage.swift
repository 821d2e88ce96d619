/// The parts of a valid `/messages` body the sandbox keeps and answers with.
struct ValidMessage: Sendable, Equatable {
    /// `to` as sent, echoed as `contacts[].input`.
    var to: String
    /// The digits of `to`, answered as `contacts[].wa_id`.
    var waID: String
    /// The message type (`text`, `template`, …).
    var type: String
    /// `biz_opaque_callback_data` (Cloud only).
    var callbackData: String?
    /// A template's name and language code.
    var templateName: String?
    var templateLanguage: String?
}
