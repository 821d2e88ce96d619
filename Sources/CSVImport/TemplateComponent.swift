/// A component of a template message as an import row builds it, to name the column of an error.
public enum TemplateComponent: Sendable, Equatable {
    case header, body, button(Int)

    func column(parameter: Int?) -> String {
        switch self {
        case .header: "header.1"
        case .body: parameter.map { "body.\($0 + 1)" } ?? "body"
        case .button(let n): "button.\(n)"
        }
    }
}
