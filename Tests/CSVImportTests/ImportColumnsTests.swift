import Testing
@testable import CSVImport

/// The header row: which columns exist, and the clear refusals when it cannot be used.
@Suite("Import header")
struct ImportColumnsTests {
    func problem(_ header: [String], template: String? = nil, language: String? = nil) -> String? {
        do {
            _ = try ImportColumns(header: header, template: template, language: language)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("text and template headers map their columns, in any case and spacing")
    func mapping() throws {
        let text = try ImportColumns(header: ["TO", " text ", "priority", "row", "reason"], template: nil, language: nil)
        #expect(text.to == 0 && text.text == 1 && text.priority == 2 && !text.isTemplate)
        let t = try ImportColumns(header: ["to", "template", "language", "body.2", "body.1", "header.1", "button.1"], template: nil, language: nil)
        #expect(t.isTemplate)
        #expect(t.body == [4, 3])
        #expect(t.header == 5)
        #expect(t.buttons == [1: 6])
        let defaults = try ImportColumns(header: ["to", "body.1"], template: "order_update", language: "en_US")
        #expect(defaults.isTemplate && defaults.body == [1])
    }

    @Test("headers that cannot be used are refused with the reason", arguments: [
        (["to", "text", "colour"], nil, "unknown column 'colour' (column 3)"),
        (["text"], nil, "no 'to' column"),
        (["to", "text", "to"], nil, "names 'to' twice"),
        (["to", "text", ""], nil, "has no name in column 3"),
        (["to"], nil, "needs a 'text' column"),
        (["to", "text", "template"], nil, "not both"),
        (["to", "text"], "hello", "not both"),
        (["to", "template", "body.1"], nil, "no 'language' column"),
        (["to", "template", "language", "body.1", "body.3"], nil, "has body.3 but no body.2"),
        (["to", "text", "body.1"], nil, "only templates use"),
        (["to", "template", "language", "header.2"], nil, "unknown column 'header.2'"),
        (["to", "template", "language", "button.0"], nil, "unknown column 'button.0'"),
    ] as [([String], String?, String)])
    func refused(header: [String], template: String?, expected: String) {
        let got = problem(header, template: template)
        #expect(got?.contains(expected) == true, "\(got ?? "accepted")")
    }
}
