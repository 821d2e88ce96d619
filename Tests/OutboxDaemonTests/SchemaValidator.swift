import Foundation
import OutboxCore

/// The subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that the socket API's document
/// uses: `$ref` into `components`, `type` (one or several, `null` included), `enum`,
/// `properties`, `required`, `additionalProperties`, `items`, `oneOf`, `anyOf`, `minimum`,
/// `maximum`, `pattern`. A keyword it does not know fails the check, so the document cannot
/// use one that goes unchecked.
struct SchemaValidator {
    let document: JSONValue
    static let known: Set<String> = ["$ref", "type", "enum", "properties", "required", "additionalProperties", "items", "oneOf", "anyOf",
                                     "minimum", "maximum", "pattern", "description", "format"]

    /// Every way `value` breaks `schema`, each with the path to the value; empty when it conforms.
    func errors(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
        guard let s = schema.objectValue else { return ["\(path): schema is not an object"] }
        if let unknown = s.keys.first(where: { !Self.known.contains($0) }) { return ["\(path): unsupported schema keyword '\(unknown)'"] }
        if let ref = s["$ref"]?.stringValue {
            guard let target = resolve(ref) else { return ["\(path): unresolved \(ref)"] }
            return errors(value, target, at: path)
        }
        var out: [String] = []
        if let types = s["type"] {
            let names = types.arrayValue?.compactMap(\.stringValue) ?? [types.stringValue ?? ""]
            if !names.contains(where: { Self.matches(value, type: $0) }) {
                return ["\(path): \(value.typeName) where the document says \(names.joined(separator: " or "))"]
            }
        }
        if let options = s["enum"]?.arrayValue, !options.contains(value) { out.append("\(path): \(value.canonicalText) is not one of \(JSONValue.array(options).canonicalText)") }
        if let alternatives = s["oneOf"]?.arrayValue {
            let passing = alternatives.filter { errors(value, $0, at: path).isEmpty }.count
            if passing != 1 { out.append("\(path): matches \(passing) of oneOf's \(alternatives.count) schemas, not exactly one") }
        }
        if let alternatives = s["anyOf"]?.arrayValue, !alternatives.contains(where: { errors(value, $0, at: path).isEmpty }) {
            out.append("\(path): matches none of anyOf")
        }
        if case .object(let o) = value {
            let properties = s["properties"]?.objectValue ?? [:]
            for name in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where o[name] == nil {
                out.append("\(path): required '\(name)' is missing")
            }
            for (key, v) in o.sorted(by: { $0.key < $1.key }) {
                if let p = properties[key] {
                    out += errors(v, p, at: "\(path).\(key)")
                } else {
                    switch s["additionalProperties"] {
                    case .bool(false)?: out.append("\(path): '\(key)' is not in the document")
                    case .object? : out += errors(v, s["additionalProperties"]!, at: "\(path).\(key)")
                    default: break
                    }
                }
            }
        }
        if case .array(let a) = value, let items = s["items"] {
            for (i, v) in a.enumerated() { out += errors(v, items, at: "\(path)[\(i)]") }
        }
        if let min = Self.number(s["minimum"]), let v = Self.number(value), v < min { out.append("\(path): \(v) is below \(min)") }
        if let max = Self.number(s["maximum"]), let v = Self.number(value), v > max { out.append("\(path): \(v) is above \(max)") }
        if let pattern = s["pattern"]?.stringValue, case .string(let text) = value, text.range(of: pattern, options: .regularExpression) == nil {
            out.append("\(path): '\(text)' does not match \(pattern)")
        }
        return out
    }

    /// `#/components/schemas/Name` and the like.
    func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: JSONValue? = document
        for part in ref.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
        return node
    }

    static func matches(_ v: JSONValue, type: String) -> Bool {
        switch (type, v) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("integer", .int), ("number", .int), ("number", .double): true
        case ("integer", .double(let d)): d.rounded() == d
        default: false
        }
    }

    static func number(_ v: JSONValue?) -> Double? {
        switch v {
        case .int(let i)?: Double(i)
        case .double(let d)?: d
        default: nil
        }
    }
}
