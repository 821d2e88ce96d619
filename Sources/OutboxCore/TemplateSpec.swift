/// What one template (one name in one language) needs at send time, as the channel's catalog
/// describes it: its category and status, and the parameters of each component. Built by the
/// WhatsApp module from 360dialog's template list; stored as JSON in the `templates` table.
public struct TemplateSpec: Sendable, Equatable, Codable {
    /// A header's format and how many parameters it takes (a text header 0 or 1, a media or
    /// location header always 1).
    public struct Header: Sendable, Equatable, Codable {
        /// `text`, `image`, `video`, `document`, `location` (lowercase).
        public var format: String
        public var parameters: Int

        public init(format: String, parameters: Int) {
            self.format = format
            self.parameters = parameters
        }
    }

    /// One button, at its position in the template, and the parameters it takes (a URL with a
    /// variable suffix, a copy code: 1; a quick reply or a static URL: 0).
    public struct Button: Sendable, Equatable, Codable {
        /// `url`, `quick_reply`, `copy_code`, `otp`, `phone_number`, `flow`, ... (lowercase).
        public var type: String
        public var parameters: Int

        public init(type: String, parameters: Int) {
            self.type = type
            self.parameters = parameters
        }
    }

    public var name: String
    public var language: String
    /// `marketing`, `utility`, `authentication` (lowercase, as the catalog said otherwise).
    public var category: String
    /// `APPROVED`, `PAUSED`, `DISABLED`, `REJECTED`, `PENDING`, ... (uppercase).
    public var status: String
    /// `GREEN`, `YELLOW`, `RED`, `UNKNOWN`, when the catalog says.
    public var quality: String?
    public var header: Header?
    /// Positional body parameters (`{{1}}`, `{{2}}`, ...): how many.
    public var bodyParameters: Int
    /// Named body parameters (`{{first_name}}`): their names; empty for a positional template.
    public var bodyNames: [String]
    public var buttons: [Button]

    public init(name: String, language: String, category: String, status: String, quality: String? = nil, header: Header? = nil,
                bodyParameters: Int = 0, bodyNames: [String] = [], buttons: [Button] = []) {
        self.name = name
        self.language = language
        self.category = category
        self.status = status
        self.quality = quality
        self.header = header
        self.bodyParameters = bodyParameters
        self.bodyNames = bodyNames
        self.buttons = buttons
    }

    /// Marketing templates are the ones opt-outs, the per-user marketing limit (131049) and
    /// the US rule apply to.
    public var isMarketing: Bool { category == "marketing" }

    /// True when the body's parameters are named (`parameter_name`), not positional.
    public var isNamed: Bool { !bodyNames.isEmpty }

    /// Statuses with which the API refuses every send, whatever the parameters.
    public static let unsendable: Set<String> = ["DISABLED", "REJECTED", "PENDING", "IN_APPEAL", "PENDING_DELETION", "DELETED", "LIMIT_EXCEEDED", "ARCHIVED"]

    /// The parameters as `templates list` shows them: `header:image body:2 button0:url(1)`.
    public var parametersSummary: String {
        var parts: [String] = []
        if let header { parts.append("header:\(header.format)" + (header.format == "text" ? "(\(header.parameters))" : "")) }
        if isNamed { parts.append("body:{\(bodyNames.joined(separator: ","))}") } else if bodyParameters > 0 { parts.append("body:\(bodyParameters)") }
        for (i, b) in buttons.enumerated() where b.parameters > 0 { parts.append("button\(i):\(b.type)(\(b.parameters))") }
        return parts.isEmpty ? "none" : parts.joined(separator: " ")
    }
}
