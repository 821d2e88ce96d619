import OutboxCore

/// One template of the sandbox's catalog, in 360dialog's list format (`waba_templates[]`).
public struct SandboxTemplate: Sendable, Codable, Equatable {
    public var name: String
    public var language: String
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    public var category: String
    /// `APPROVED`, `PAUSED`, `DISABLED`, ...
    public var status: String
    public var quality: String?
    /// Meta's components (`HEADER`/`BODY`/`FOOTER`/`BUTTONS`), as the list carries them.
    public var components: [JSONValue]

    public init(name: String, language: String, category: String, status: String = "APPROVED", quality: String? = "GREEN", components: [JSONValue] = []) {
        self.name = name
        self.language = language
        self.category = category
        self.status = status
        self.quality = quality
        self.components = components
    }

    /// A body component with `{{1}}` ... `{{n}}`.
    public static func body(_ n: Int) -> JSONValue {
        .object(["type": .string("BODY"), "text": .string("Hello" + (0..<n).map { " {{\($0 + 1)}}" }.joined())])
    }

    /// The entry as 360dialog lists it.
    var listed: JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(name), "language": .string(language), "category": .string(category), "status": .string(status.lowercased()),
            "components": .array(components), "namespace": .string("sandbox_namespace"), "rejected_reason": .string("NONE"),
        ]
        if let quality { o["quality_score"] = .object(["score": .string(quality)]) }
        return .object(o)
    }
}

/// The sandbox's template catalog: what `GET /v1/configs/templates` lists, and which templates
/// are paused (sends answered 132015) or disabled (132016). Templates not in it are sent as
/// before, so tests that never set a catalog see no change.
public struct SandboxCatalog: Sendable, Codable, Equatable {
    public var templates: [SandboxTemplate]

    public init(templates: [SandboxTemplate]) { self.templates = templates }

    /// A small catalog with each category: `welcome` (en, utility, fixed), `order_update`
    /// (en_US, utility, 2 body parameters), `spring_sale` (en_US, marketing, an image header and
    /// 1 body parameter), `login_code` (en_US, authentication, 1 parameter and a copy-code button).
    public static let standard = SandboxCatalog(templates: [
        SandboxTemplate(name: "welcome", language: "en", category: "UTILITY", components: [.object(["type": .string("BODY"), "text": .string("Welcome!")])]),
        SandboxTemplate(name: "order_update", language: "en_US", category: "UTILITY", components: [SandboxTemplate.body(2)]),
        SandboxTemplate(name: "spring_sale", language: "en_US", category: "MARKETING", components: [
            .object(["type": .string("HEADER"), "format": .string("IMAGE")]), SandboxTemplate.body(1),
            .object(["type": .string("BUTTONS"), "buttons": .array([.object(["type": .string("QUICK_REPLY"), "text": .string("Stop promotions")])])]),
        ]),
        SandboxTemplate(name: "login_code", language: "en_US", category: "AUTHENTICATION", components: [
            SandboxTemplate.body(1),
            .object(["type": .string("BUTTONS"), "buttons": .array([.object(["type": .string("OTP"), "otp_type": .string("COPY_CODE")])])]),
        ]),
    ])

    /// `n` templates `bulk_0` ... (en_US; every other one marketing; 0 to 3 body parameters).
    public static func generated(_ n: Int) -> SandboxCatalog {
        SandboxCatalog(templates: (0..<max(0, min(n, 10_000))).map { i in
            SandboxTemplate(name: "bulk_\(i)", language: "en_US", category: i % 2 == 0 ? "MARKETING" : "UTILITY", components: [SandboxTemplate.body(i % 4)])
        })
    }

    func status(name: String, language: String) -> String? {
        templates.first { $0.name == name && $0.language == language }?.status
    }

    /// Sets the status of `name` (one language, or all); the templates changed.
    mutating func setStatus(_ status: String, name: String, language: String?) -> [SandboxTemplate] {
        var changed: [SandboxTemplate] = []
        for i in templates.indices where templates[i].name == name && (language == nil || templates[i].language == language) {
            templates[i].status = status
            changed.append(templates[i])
        }
        return changed
    }

    /// One page of the list, 360dialog's shape.
    func page(limit: Int, offset: Int) -> JSONValue {
        let slice = templates.dropFirst(offset).prefix(limit)
        return .object([
            "count": .int(Int64(slice.count)), "total": .int(Int64(templates.count)), "offset": .int(Int64(offset)), "limit": .int(Int64(limit)),
            "filters": .object([:]), "sort": .array([.string("id")]), "waba_templates": .array(slice.map(\.listed)),
        ])
    }
}
