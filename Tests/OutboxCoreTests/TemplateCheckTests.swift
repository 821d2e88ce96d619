import OutboxCore
import Testing

/// The catalog's checks at submission, without I/O: what cannot succeed is refused with the
/// field, what fits carries its category, and nothing is refused without a synced catalog.
@Suite("Template checks against the catalog")
struct TemplateCheckTests {
    static let catalog = TemplateCatalog([
        TemplateSpec(name: "order_update", language: "en_US", category: "utility", status: "APPROVED", bodyParameters: 2),
        TemplateSpec(name: "order_update", language: "de", category: "utility", status: "APPROVED", bodyParameters: 2),
        TemplateSpec(name: "spring_sale", language: "en_US", category: "marketing", status: "APPROVED",
                     header: .init(format: "image", parameters: 1), bodyParameters: 1, buttons: [.init(type: "quick_reply", parameters: 0)]),
        TemplateSpec(name: "greeting", language: "en", category: "marketing", status: "APPROVED", bodyNames: ["first_name", "city"]),
        TemplateSpec(name: "code", language: "en", category: "authentication", status: "APPROVED", bodyParameters: 1,
                     buttons: [.init(type: "otp", parameters: 1)]),
        TemplateSpec(name: "old", language: "en", category: "utility", status: "DISABLED"),
        TemplateSpec(name: "resting", language: "en", category: "marketing", status: "PAUSED"),
    ], syncedMillis: 1_000)

    static func message(_ name: String, _ language: String, _ components: String = "") throws -> JSONValue {
        let c = components.isEmpty ? "" : #","components":[\#(components)]"#
        return try JSONParser.parse(Array(#"{"type":"template","template":{"name":"\#(name)","language":{"code":"\#(language)"}\#(c)}}"#.utf8))
    }

    static func text(_ n: Int) -> String {
        (0..<n).map { #"{"type":"text","text":"v\#($0)"}"# }.joined(separator: ",")
    }

    func invalid(_ m: JSONValue, catalog: TemplateCatalog = catalog) -> ValidationError? {
        if case .invalid(let e) = TemplateCheck.check(m, catalog: catalog) { return e }
        return nil
    }

    @Test("a template that fits its catalog entry passes, with its category")
    func fits() throws {
        let m = try Self.message("order_update", "en_US", #"{"type":"body","parameters":[\#(Self.text(2))]}"#)
        guard case .fits(let spec) = TemplateCheck.check(m, catalog: Self.catalog) else { Issue.record("not fitting"); return }
        #expect(spec.category == "utility" && !spec.isMarketing)
        let sale = try Self.message("spring_sale", "en_US", #"{"type":"header","parameters":[{"type":"image","image":{"link":"https://x/y.png"}}]},{"type":"body","parameters":[\#(Self.text(1))]}"#)
        guard case .fits(let s) = TemplateCheck.check(sale, catalog: Self.catalog) else { Issue.record("sale not fitting"); return }
        #expect(s.isMarketing)
        // A paused template is not refused: its messages wait for the pause to end.
        guard case .fits = TemplateCheck.check(try Self.message("resting", "en"), catalog: Self.catalog) else { Issue.record("paused refused"); return }
    }

    @Test("without a synced catalog, or with an empty one, nothing is refused")
    func noCatalog() throws {
        let m = try Self.message("anything", "xx")
        #expect(TemplateCheck.check(m, catalog: .empty) == .unchecked)
        #expect(TemplateCheck.check(m, catalog: TemplateCatalog([], syncedMillis: 5)) == .unchecked)
        let text = try JSONParser.parse(Array(#"{"type":"text","text":{"body":"hi"}}"#.utf8))
        #expect(TemplateCheck.check(text, catalog: Self.catalog) == .unchecked)
    }

    @Test("unknown name, unknown language and unsendable status name their field")
    func names() throws {
        #expect(invalid(try Self.message("nope", "en"))?.field == "message.template.name")
        let lang = invalid(try Self.message("order_update", "fr"))
        #expect(lang?.field == "message.template.language.code")
        #expect(lang?.message.contains("de, en_US") == true)
        let old = invalid(try Self.message("old", "en"))
        #expect(old?.field == "message.template.name" && old?.message.contains("DISABLED") == true)
    }

    @Test("the body's parameter count, and positional against named", arguments: [
        (#"{"type":"body","parameters":[{"type":"text","text":"a"}]}"#, "order_update", "en_US", "message.template.components.0.parameters"),
        ("", "order_update", "en_US", "message.template.components"),
        (#"{"type":"body","parameters":[{"type":"text","text":"a"},{"type":"text","parameter_name":"x","text":"b"}]}"#, "order_update", "en_US",
         "message.template.components.0.parameters.1.parameter_name"),
        (#"{"type":"body","parameters":[{"type":"text","text":"a"}]}"#, "greeting", "en", "message.template.components.0.parameters.0"),
        (#"{"type":"body","parameters":[{"type":"text","parameter_name":"first_name","text":"a"}]}"#, "greeting", "en", "message.template.components.0.parameters"),
        (#"{"type":"body","parameters":[{"type":"text","parameter_name":"zip","text":"a"}]}"#, "greeting", "en", "message.template.components.0.parameters.0.parameter_name"),
    ])
    func body(_ components: String, _ name: String, _ language: String, _ field: String) throws {
        #expect(invalid(try Self.message(name, language, components))?.field == field)
    }

    @Test("named parameters that are all there fit, in any order")
    func named() throws {
        let m = try Self.message("greeting", "en", #"{"type":"body","parameters":[{"type":"text","parameter_name":"city","text":"a"},{"type":"text","parameter_name":"first_name","text":"b"}]}"#)
        #expect(invalid(m) == nil)
    }

    @Test("a header of the wrong kind, a missing header, a header where the template has none")
    func header() throws {
        let body = #"{"type":"body","parameters":[\#(Self.text(1))]}"#
        let doc = try Self.message("spring_sale", "en_US", #"{"type":"header","parameters":[{"type":"document","document":{"link":"https://x/y.pdf"}}]},\#(body)"#)
        let e = invalid(doc)
        #expect(e?.field == "message.template.components.0.parameters.0.type")
        #expect(e?.message.contains("image") == true)
        #expect(invalid(try Self.message("spring_sale", "en_US", body))?.field == "message.template.components")
        let extra = try Self.message("order_update", "en_US", #"{"type":"header","parameters":[{"type":"text","text":"x"}]},{"type":"body","parameters":[\#(Self.text(2))]}"#)
        #expect(invalid(extra)?.field == "message.template.components.0")
    }

    @Test("a button that needs its parameter, and a button index the template does not have")
    func buttons() throws {
        let body = #"{"type":"body","parameters":[\#(Self.text(1))]}"#
        #expect(invalid(try Self.message("code", "en", body))?.message.contains("button 0") == true)
        let ok = try Self.message("code", "en", #"\#(body),{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"123456"}]}"#)
        #expect(invalid(ok) == nil)
        let far = try Self.message("code", "en", #"\#(body),{"type":"button","sub_type":"url","index":"3","parameters":[{"type":"text","text":"1"}]}"#)
        #expect(invalid(far)?.field == "message.template.components.1.index")
    }
}
