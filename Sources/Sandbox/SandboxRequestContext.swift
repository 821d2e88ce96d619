import Hummingbird
import NIOCore

/// The request context of the sandbox: Hummingbird's basics plus the connection's `Channel`,
/// so a drop fault can close the TCP connection without answering.
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
