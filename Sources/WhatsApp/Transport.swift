import Foundation
import OutboxCore

/// One request to a channel's `/messages` endpoint. The key travels only here, in the header.
public struct OutboundRequest: Sendable {
    public var url: String
    public var apiKey: String
    public var body: String
    /// Whole-request deadline, in milliseconds.
    public var timeoutMillis: Int64
    public var api: ChannelAPI
    /// Called once, the moment the request is handed to its connection (its head written):
    /// the pacing counts that moment, the closest the daemon sees to the API's arrival.
    /// A transport that cannot tell leaves it uncalled.
    public var onWritten: (@Sendable () -> Void)?

    public init(url: String, apiKey: String, body: String, timeoutMillis: Int64, api: ChannelAPI,
                onWritten: (@Sendable () -> Void)? = nil) {
        self.url = url
        self.apiKey = apiKey
        self.body = body
        self.timeoutMillis = timeoutMillis
        self.api = api
        self.onWritten = onWritten
    }
}

/// The network, behind one small protocol: the dispatcher sends through it, tests may put a
/// real HTTP client to the sandbox behind it.
public protocol MessageTransport: Sendable {
    /// Sends one request and classifies the answer. Never throws: every failure is a `SendResult`.
    func send(_ request: OutboundRequest) async -> SendResult
}

/// The account API beside `/messages` (webhook configuration): plain requests with the key.
public protocol AccountAPI: Sendable {
    /// Sends `method` to `url` with the channel's key; returns the status and body.
    func call(_ method: String, url: String, apiKey: String, body: String?, timeoutMillis: Int64) async throws -> (status: Int, body: [UInt8])
}
