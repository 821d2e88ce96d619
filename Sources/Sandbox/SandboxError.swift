/// Errors of the sandbox module.
enum SandboxError: Error, CustomStringConvertible {
    /// A drop fault closed the connection on purpose; there is no answer to write.
    case connectionDropped

    var description: String {
        switch self {
        case .connectionDropped: "the sandbox closed the connection on purpose (drop fault)"
        }
    }
}
