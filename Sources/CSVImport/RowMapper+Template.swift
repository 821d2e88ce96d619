import OutboxCore

extension RowMapper {
    /// Why a template row's parameters cannot be used.
    public struct ParameterProblem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The template message of a row: a text header parameter (`header.1`), body parameters
    /// (`body.1` ... filled from the first, without gaps), and URL buttons' dynamic suffixes
    /// (`button.N`, the API's `index` N-1). Empty cells leave a component out.
    func templateMessage(_ row: Row, name: String, language: String)
        -> Result<(message: JSONValue, components: [TemplateComponent], bodyCount: Int), ParameterProblem>
    {
        var components: [TemplateComponent] = []
        var list: [JSONValue] = []
        func text(_ value: String) -> JSONValue { .object(["type": .string("text"), "text": .string(value)]) }

        if let column = columns.header, !row.values[column].isEmpty {
            components.append(.header)
            list.append(.object(["type": .string("header"), "parameters": .array([text(row.values[column])])]))
        }
        let body = columns.body.map { row.values[$0] }
        let bodyCount = body.lastIndex(where: { !$0.isEmpty }).map { $0 + 1 } ?? 0
        if let gap = body[..<bodyCount].firstIndex(where: \.isEmpty) {
            return .failure(ParameterProblem(description: "body.\(gap + 1): is empty but body.\(bodyCount) is set; parameters fill {{1}}, {{2}}, ... in order"))
        }
        if bodyCount > 0 {
            components.append(.body)
            list.append(.object(["type": .string("body"), "parameters": .array(body[..<bodyCount].map(text))]))
        }
        for (n, column) in columns.buttons.sorted(by: { $0.key < $1.key }) where !row.values[column].isEmpty {
            components.append(.button(n))
            list.append(.object([
                "type": .string("button"), "sub_type": .string("url"), "index": .string(String(n - 1)),
                "parameters": .array([text(row.values[column])]),
            ]))
        }
        var template: [String: JSONValue] = ["name": .string(name), "language": .object(["code": .string(language)])]
        if !list.isEmpty { template["components"] = .array(list) }
        return .success((.object(["type": .string("template"), "template": .object(template)]), components, bodyCount))
    }
}
