/// Why an import could not start or go on, worded for the one line the CLI prints.
public enum ImportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file cannot be opened or read.
    case cannotRead(path: String, reason: String)
    /// The file holds nothing, not even a header.
    case emptyFile(path: String)
    /// The file is not UTF-8 text.
    case notUTF8(path: String, detail: String)
    /// The header row cannot be used; nothing was imported.
    case badHeader(path: String, reason: String)
    /// The daemon has no channel of this name.
    case unknownChannel(String, known: [String])
    /// The daemon could not be asked (its channels, or a batch).
    case daemon(String)
    /// The rejects file cannot be written.
    case cannotWriteRejects(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason):
            "cannot read \(path): \(reason)"
        case .emptyFile(let path):
            "\(path) is empty: an import file starts with a header row naming its columns, e.g. to,text"
        case .notUTF8(let path, let detail):
            "\(path) is not UTF-8 text (\(detail)); save it as CSV UTF-8 and import it again"
        case .badHeader(let path, let reason):
            "\(path): the header row (row 1) \(reason); nothing was imported"
        case .unknownChannel(let name, let known):
            "no channel named '\(name)' is configured (known: \(known.sorted().joined(separator: ", ")))"
        case .daemon(let why):
            why
        case .cannotWriteRejects(let path, let reason):
            "cannot write the rejects file \(path): \(reason)"
        }
    }
}
