/// A submission that cannot be accepted, with the dotted path of the field at fault.
public struct ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Dotted path into the request, e.g. `message.text.body`; empty for the request as a whole.
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    /// The same error seen one level further out, e.g. `text.body` inside `message`.
    public func nested(under prefix: String) -> ValidationError {
        ValidationError(field: field.isEmpty ? prefix : "\(prefix).\(field)", message)
    }

    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}
