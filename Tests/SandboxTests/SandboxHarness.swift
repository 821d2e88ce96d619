import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OutboxCore
import ServiceLifecycle
@testable import Sandbox

/// Runs a real `SandboxServer` on a free loopback port for the duration of `body`, with an
/// HTTP client pointed at it, then shuts the server down gracefully through its service group.
/// Pass a `ManualClock` to move the sandbox's rules without sleeping.
func withSandboxServer<T: Sendable>(
    _ configuration: SandboxConfiguration = SandboxConfiguration(),
    clock: any OutboxClock = SystemClock(),
    _ body: (SandboxServer, SandboxClient) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.port = 0
    var logger = Logger(label: "sandbox-tests")
    logger.logLevel = .warning
    let server = SandboxServer(configuration: configuration, clock: clock, logger: logger)
    let services = ServiceGroup(configuration: .init(services: [server], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await services.run() }
        let port = await server.waitUntilListening()
        let client = SandboxClient(port: port)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(server, client))
        } catch {
            result = .failure(error)
        }
        try await client.shutdown()
        await services.triggerGracefulShutdown()
        try await group.waitForAll()
        return try result.get()
    }
}

/// A thin HTTP client of the sandbox for tests: real requests over loopback.
struct SandboxClient: Sendable {
    let port: Int
    let http = HTTPClient(eventLoopGroupProvider: .singleton)

    /// A decoded answer: status, headers and the JSON object of the body (empty if none).
    struct Reply: @unchecked Sendable {
        var status: Int
        var headers: HTTPHeaders
        var json: [String: Any]

        /// `error.code` (Cloud) or `errors[0].code` (On-Premise).
        var errorCode: Int? {
            if let error = json["error"] as? [String: Any] { return error["code"] as? Int }
            if let errors = json["errors"] as? [[String: Any]] { return errors.first?["code"] as? Int }
            return nil
        }

        /// `messages[0].id` of a success.
        var messageID: String? {
            (json["messages"] as? [[String: Any]])?.first?["id"] as? String
        }
    }

    func send(_ body: String, key: String? = "test-key-1", path: String = "/messages") async throws -> Reply {
        try await request(path, method: .POST, body: body, key: key)
    }

    func sendText(to: String, text: String = "hello", key: String? = "test-key-1") async throws -> Reply {
        try await send(Bodies.cloudText(to: to, text: text), key: key)
    }

    func request(_ path: String, method: HTTPMethod = .GET, body: String? = nil, key: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key {
            request.headers.add(name: "D360-API-KEY", value: key)
        }
        if let body {
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
        return Reply(status: Int(response.status.code), headers: response.headers, json: json)
    }

    func shutdown() async throws {
        try await http.shutdown()
    }
}

/// Request bodies used across the tests.
enum Bodies {
    static func cloudText(to: String, text: String = "hello") -> String {
        json(["messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text", "text": ["body": text]])
    }

    static func onPremiseText(to: String, text: String = "hello") -> String {
        json(["to": to, "type": "text", "text": ["body": text]])
    }

    static func cloudTemplate(to: String, name: String = "hello_world") -> String {
        json(["messaging_product": "whatsapp", "to": to, "type": "template",
              "template": ["name": name, "language": ["code": "en_US"]]])
    }

    static func onPremiseTemplate(to: String, name: String = "hello_world") -> String {
        json(["to": to, "type": "template",
              "template": ["namespace": "sandbox", "name": name, "language": ["policy": "deterministic", "code": "en"]]])
    }

    static func json(_ object: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object)
        return String(decoding: data, as: UTF8.self)
    }
}
