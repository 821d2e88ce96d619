/// Checks a template message against the channel's synced catalog before a request is spent
/// on it: the name and language exist and can be sent, and each component gets the
/// parameters the template needs (count, positional or named, header kind). What the API
/// would answer 132001, 132000, 132012 for, refused at the door instead (CONTRACT.md,
/// "Templates and opt-outs"). Pure: the caller passes the catalog.
public enum TemplateCheck {
    /// The verdict for `message` (the submission's `message` object, already valid in syntax).
    public static func check(_ message: JSONValue, catalog: TemplateCatalog) -> TemplateVerdict {
        guard let synced = catalog.syncedMillis, catalog.count > 0, message["type"]?.stringValue == "template", let template = message["template"],
              let name = template["name"]?.stringValue, let language = template["language"]?["code"]?.stringValue else { return .unchecked }
        guard let spec = catalog.spec(name: name, language: language) else {
            let languages = catalog.specs.filter { $0.name == name }.map(\.language).sorted()
            if languages.isEmpty {
                return .invalid(ValidationError(field: "message.template.name",
                    "no template '\(name)' in the channel's catalog (synced \(RFC3339.format(millis: synced))); run `wa-outbox templates sync` if it was created since"))
            }
            return .invalid(ValidationError(field: "message.template.language.code",
                "template '\(name)' has no '\(language)' version; it has \(languages.joined(separator: ", "))"))
        }
        if TemplateSpec.unsendable.contains(spec.status) {
            return .invalid(ValidationError(field: "message.template.name", "template '\(name)' (\(language)) is \(spec.status): the API refuses every send of it"))
        }
        if let problem = components(template["components"]?.arrayValue ?? [], spec: spec) { return .invalid(problem) }
        return .fits(spec)
    }

    private static func components(_ list: [JSONValue], spec: TemplateSpec) -> ValidationError? {
        let base = "message.template.components"
        func first(_ type: String) -> (Int, JSONValue)? {
            list.enumerated().first { $0.element["type"]?.stringValue == type }.map { ($0.offset, $0.element) }
        }
        // Header: its kind and its one parameter.
        let header = first("header")
        let headerParams = header?.1["parameters"]?.arrayValue ?? []
        switch (spec.header, header) {
        case (nil, let h?) where !headerParams.isEmpty:
            return ValidationError(field: "\(base).\(h.0)", "the template has no header with parameters")
        case (let want?, _) where want.parameters > 0:
            guard let h = header, let p = headerParams.first else {
                return ValidationError(field: base, "the template's header (\(want.format)) needs a \(want.format) parameter")
            }
            let given = p["type"]?.stringValue ?? ""
            if given != want.format {
                return ValidationError(field: "\(base).\(h.0).parameters.0.type", "is \(given); the template's header is \(want.format == "image" || want.format == "video" ? "an" : "a") \(want.format)")
            }
            if headerParams.count > want.parameters {
                return ValidationError(field: "\(base).\(h.0).parameters", "the template's header takes \(want.parameters) parameter, not \(headerParams.count)")
            }
        case (let want?, let h?) where want.parameters == 0 && !headerParams.isEmpty:
            return ValidationError(field: "\(base).\(h.0).parameters", "the template's header (\(want.format)) is fixed: it takes no parameters")
        default:
            break
        }
        // Body: count, and positional or named.
        let body = first("body")
        let params = body?.1["parameters"]?.arrayValue ?? []
        let field = body.map { "\(base).\($0.0).parameters" } ?? base
        if spec.isNamed {
            var given = Set<String>()
            for (i, p) in params.enumerated() {
                guard let n = p["parameter_name"]?.stringValue else {
                    return ValidationError(field: "\(field).\(i)", "the template uses named parameters ({{\(spec.bodyNames[0])}}): give parameter_name")
                }
                guard spec.bodyNames.contains(n) else {
                    return ValidationError(field: "\(field).\(i).parameter_name", "'\(n)' is not a parameter of the template; it has \(spec.bodyNames.joined(separator: ", "))")
                }
                given.insert(n)
            }
            let missing = spec.bodyNames.filter { !given.contains($0) }
            if !missing.isEmpty { return ValidationError(field: field, "the template's body needs \(missing.joined(separator: ", ")) as well") }
        } else {
            if let i = params.firstIndex(where: { $0["parameter_name"] != nil }) {
                return ValidationError(field: "\(field).\(i).parameter_name", "the template uses positional parameters ({{1}}), not named ones")
            }
            if params.count != spec.bodyParameters {
                return ValidationError(field: field, "the template's body takes \(spec.bodyParameters) parameter\(spec.bodyParameters == 1 ? "" : "s"), not \(params.count)")
            }
        }
        // Buttons: the index exists, and a button with a variable gets its parameter.
        var given = Set<Int>()
        for (i, c) in list.enumerated() where c["type"]?.stringValue == "button" {
            let index: Int? = switch c["index"] {
            case .int(let n)?: Int(exactly: n)
            case .string(let s)?: Int(s)
            default: nil
            }
            guard let index, index >= 0, index < spec.buttons.count else {
                return ValidationError(field: "\(base).\(i).index", "the template has \(spec.buttons.count) button\(spec.buttons.count == 1 ? "" : "s")")
            }
            given.insert(index)
        }
        for (i, b) in spec.buttons.enumerated() where b.parameters > 0 && !given.contains(i) {
            return ValidationError(field: base, "the template's button \(i) (\(b.type)) needs a parameter")
        }
        return nil
    }
}
