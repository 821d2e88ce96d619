extension TrafficLedger {
    /// A send of a paused template is refused with 132015 (not charged), of a disabled one with
    /// 132016, as Meta does (WHATSAPP-API.md §4.6); nil for templates not in the catalog.
    func templateRefusal(_ message: ValidMessage, api: SandboxAPI) -> SandboxVerdict.Outcome? {
        guard let name = message.templateName, let language = message.templateLanguage,
              let status = catalog.status(name: name, language: language) else { return nil }
        switch status.uppercased() {
        case "PAUSED":
            return .apiError(status: 400, code: 132015, details: "Template \(name) is paused because of low quality.", retryAfterSeconds: nil)
        case "DISABLED":
            return .apiError(status: 400, code: 132016, details: "Template \(name) was paused too many times and is now disabled.", retryAfterSeconds: nil)
        default:
            return nil
        }
    }
}
