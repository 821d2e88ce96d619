import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import Testing
import TestSupport

/// The OpenAPI document against the real daemon: every route of the router is documented
/// (and nothing else is), and real answers of every documented operation, errors included,
/// conform to their documented status and schema.
@Suite("OpenAPI document")
struct OpenAPITests {
    let dir = TempDir()

    enum Method: String { case GET, POST, DELETE }

    /// One call made, and what came back.
    struct Exchange {
        var method: String
        var path: String
        var status: Int
        var body: [UInt8]
    }

    func document(_ d: DaemonHarness) async throws -> JSONValue {
        let (status, body) = try await d.get("/v1/openapi.json")
        #expect(status == 200)
        return try JSONParser.parse(body)
    }

    /// The documented path template that `path` (without its query) matches.
    static func template(for path: String, in paths: [String]) -> String? {
        let bare = String(path.split(separator: "?", maxSplits: 1).first ?? "")
        return paths.first { t in
            let pattern = "^" + t.replacingOccurrences(of: #"\{[^}]+\}"#, with: "[^/]+", options: .regularExpression) + "$"
            return bare.range(of: pattern, options: .regularExpression) != nil
        }
    }

    @Test("every route the router has is in the document, and every documented operation is a route")
    func routesMatch() async throws {
        try await withSandbox { _, url in
            try await withDaemon(testConfig(dir: dir, baseURL: url), dir: dir) { d in
                let doc = try await document(d)
                var documented: [String] = []
                for (path, item) in doc["paths"]?.objectValue ?? [:] {
                    for method in (item.objectValue ?? [:]).keys where ["get", "post", "delete", "put", "patch"].contains(method) {
                        documented.append("\(method.uppercased()) \(path)")
                    }
                }
                let routes = d.daemon.socketRoutes.map { $0.replacingOccurrences(of: #":([A-Za-z_]+)"#, with: "{$1}", options: .regularExpression) }
                #expect(Set(routes) == Set(documented), "router: \(routes.sorted()); document: \(documented.sorted())")
                #expect(doc["openapi"]?.stringValue == "3.1.0")
            }
        }
    }

    @Test("real answers of every operation conform to the document")
    func answersConform() async throws {
        let secret = dir.file("hook.secret")
        FileManager.default.createFile(atPath: secret, contents: Data("whsec_c2VjcmV0".utf8), attributes: [.posixPermissions: 0o600])
        var config = testConfig(dir: dir, baseURL: "")
        try await withSandbox { _, url in
            config = testConfig(dir: dir, baseURL: url)
            config.subscribers = [SubscriberConfig(name: "hook", url: "http://127.0.0.1:9/hook", secret: SigningKey(text: "whsec_c2VjcmV0")!)]
            try await withDaemon(config, dir: dir) { d in
                let doc = try await document(d)
                // Literal paths first: /v1/messages/batch before /v1/messages/{id}.
                let paths = (doc["paths"]?.objectValue ?? [:]).keys.sorted { ($0.filter { $0 == "{" }.count, $0) < ($1.filter { $0 == "{" }.count, $1) }
                var exchanges: [Exchange] = []
                func call(_ method: Method, _ path: String, _ body: String? = nil) async throws -> Exchange {
                    let bytes = body.map { Array($0.utf8) }
                    let (status, answer) = switch method {
                    case .GET: try await d.client.call(.GET, path, body: bytes)
                    case .POST: try await d.client.call(.POST, path, body: bytes)
                    case .DELETE: try await d.client.call(.DELETE, path, body: bytes)
                    }
                    let e = Exchange(method: method.rawValue, path: path, status: status, body: answer)
                    exchanges.append(e)
                    return e
                }
                let submitted = try await call(.POST, "/v1/messages", #"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"Hi"}},"idempotency_key":"k1","import_id":"imp1"}"#)
                #expect(submitted.status == 202, "\(String(decoding: submitted.body, as: UTF8.self))")
                let id = try JSONDecoder().decode(SubmitResponse.self, from: Data(submitted.body)).id
                _ = try await call(.POST, "/v1/messages", #"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"Hi"}},"idempotency_key":"k1","import_id":"imp1"}"#)
                _ = try await call(.POST, "/v1/messages", #"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"Other"}},"idempotency_key":"k1"}"#)
                _ = try await call(.POST, "/v1/messages", #"{"channel":"nope","to":"+4915112345678","message":{"type":"text","text":{"body":"Hi"}}}"#)
                _ = try await call(.POST, "/v1/messages", "{not json")
                _ = try await call(.POST, "/v1/messages", #"{"channel":"main","to":"+4915112345678","message":{"type":"text","text":{"body":"x"}},"expires_at":"2000-01-01T00:00:00Z"}"#)
                let soon = RFC3339.format(millis: Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)
                let later = try await call(.POST, "/v1/messages", #"{"channel":"main","to":"+4915100000009","message":{"type":"text","text":{"body":"later"}},"not_before":"\#(soon)","import_id":"imp2"}"#)
                let laterID = try JSONDecoder().decode(SubmitResponse.self, from: Data(later.body)).id
                _ = try await call(.POST, "/v1/messages/batch", #"{"channel":"main","to":"+4915100000001","message":{"type":"text","text":{"body":"a"}}}"# + "\n" + #"{"channel":"main"}"#)
                _ = try await call(.POST, "/v1/messages/batch", "\n")
                let sent = try await d.waitFor(id, in: [.sent])
                _ = try await call(.GET, "/v1/messages")
                _ = try await call(.GET, "/v1/messages?state=failed&limit=5")
                _ = try await call(.GET, "/v1/messages?state=bogus")
                _ = try await call(.GET, "/v1/messages/\(id)")
                _ = try await call(.GET, "/v1/messages/999999")
                _ = try await call(.GET, "/v1/messages/by-wamid/\(sent.wamid ?? "")")
                _ = try await call(.GET, "/v1/messages/by-wamid/wamid.none")
                _ = try await call(.DELETE, "/v1/messages/\(id)")
                _ = try await call(.DELETE, "/v1/messages/999999")
                _ = try await call(.GET, "/v1/imports/imp1")
                _ = try await call(.GET, "/v1/imports/none")
                _ = try await call(.DELETE, "/v1/imports/imp2")
                _ = try await call(.DELETE, "/v1/imports/none")
                _ = try await call(.POST, "/v1/imports/imp3/rows?channel=main", "wa-outbox-row,to,text\n2,+4915100000003,a\n3,12,b\n")
                _ = try await call(.POST, "/v1/imports/imp3/rows?channel=main", "to,text\n")
                _ = laterID
                _ = try await call(.GET, "/v1/channels")
                _ = try await call(.POST, "/v1/channels/main/resume")
                _ = try await call(.POST, "/v1/channels/nope/resume")
                _ = try await call(.POST, "/v1/channels/main/webhook", #"{"url":"https://hooks.example.com/webhooks/main"}"#)
                _ = try await call(.POST, "/v1/channels/main/webhook", #"{"url":"http://x_y:99/"}"#)
                _ = try await call(.GET, "/v1/channels/main/webhook")
                _ = try await call(.GET, "/v1/channels/nope/webhook")
                _ = try await call(.GET, "/v1/health")
                _ = try await call(.POST, "/v1/reload")
                _ = try await call(.POST, "/v1/inbound?channel=main", #"{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"from":"4915112345678","id":"wamid.in1","timestamp":"1700000000","type":"text","text":{"body":"hello"},"context":{"id":"\#(sent.wamid ?? "")"}}]}}]}]}"#)
                _ = try await call(.POST, "/v1/inbound?channel=nope", "{}")
                let inboundSeen = try await eventually {
                    let (_, body) = try await d.get("/v1/events?type=inbound")
                    return (try JSONParser.parse(body))["events"]?.arrayValue?.isEmpty == false
                }
                #expect(inboundSeen)
                let all = try await call(.GET, "/v1/events?limit=1000")
                let newest = (try JSONParser.parse(all.body))["next_cursor"]?.stringValue ?? "0"
                _ = try await call(.GET, "/v1/events?after=\(newest)&wait=0.2")
                _ = try await call(.GET, "/v1/events?type=sent,inbound&channel=main")
                _ = try await call(.GET, "/v1/events?limit=0")
                _ = try await call(.GET, "/v1/events?wait=600")
                _ = try await call(.GET, "/v1/events?type=nonsense")
                _ = try await call(.GET, "/v1/subscribers")
                _ = try await call(.POST, "/v1/subscribers/hook/replay", #"{"from":"0"}"#)
                _ = try await call(.POST, "/v1/subscribers/hook/replay", #"{"from":"x"}"#)
                _ = try await call(.POST, "/v1/subscribers/hook/replay", "[")
                _ = try await call(.POST, "/v1/subscribers/nope/replay", #"{"from":"0"}"#)
                _ = try await call(.GET, "/v1/templates")
                _ = try await call(.GET, "/v1/templates?channel=nope")
                _ = try await call(.POST, "/v1/templates/sync?channel=main")
                _ = try await call(.POST, "/v1/templates/sync?channel=nope")
                _ = try await call(.GET, "/v1/templates?channel=main")
                _ = try await call(.POST, "/v1/messages", #"{"channel":"main","to":"+4915112345678","message":{"type":"template","template":{"name":"nope","language":{"code":"en"}}}}"#)
                _ = try await call(.POST, "/v1/optouts", #"{"channel":"main","to":"+4915112345677","detail":"asked"}"#)
                _ = try await call(.POST, "/v1/optouts", #"{"channel":"main","to":"+4915112345677"}"#)
                _ = try await call(.POST, "/v1/optouts", #"{"channel":"main","to":"12"}"#)
                _ = try await call(.POST, "/v1/optouts", "[")
                _ = try await call(.POST, "/v1/messages", #"{"channel":"main","to":"+4915112345677","message":{"type":"template","template":{"name":"spring_sale","language":{"code":"en_US"},"components":[{"type":"header","parameters":[{"type":"image","image":{"link":"https://x.example/a.png"}}]},{"type":"body","parameters":[{"type":"text","text":"a"}]}]}}}"#)
                _ = try await call(.GET, "/v1/optouts")
                _ = try await call(.GET, "/v1/optouts?channel=main&to=%2B4915112345677&limit=5")
                _ = try await call(.GET, "/v1/optouts?limit=0")
                _ = try await call(.DELETE, "/v1/optouts?to=%2B4915112345677&channel=main")
                _ = try await call(.DELETE, "/v1/optouts?to=%2B4915112345677")
                _ = try await call(.DELETE, "/v1/optouts")
                _ = try await call(.GET, "/v1/openapi.json")
                _ = try await call(.GET, "/metrics")

                let validator = SchemaValidator(document: doc)
                var covered = Set<String>()
                for e in exchanges {
                    guard let t = Self.template(for: e.path, in: paths) else { Issue.record("\(e.method) \(e.path): no documented path"); continue }
                    guard let op = doc["paths"]?[t]?[e.method.lowercased()] else { Issue.record("\(e.method) \(t): not documented"); continue }
                    covered.insert("\(e.method) \(t)")
                    guard let response = op["responses"]?[String(e.status)] ?? op["responses"]?["default"] else {
                        Issue.record("\(e.method) \(e.path) answered \(e.status), which the document does not list")
                        continue
                    }
                    guard let schema = response["content"]?["application/json"]?["schema"] else { continue }  // text (metrics)
                    guard let body = try? JSONParser.parse(e.body) else { Issue.record("\(e.method) \(e.path): answer is not JSON"); continue }
                    let problems = validator.errors(body, schema)
                    #expect(problems.isEmpty, "\(e.method) \(e.path) \(e.status): \(problems.prefix(5))")
                }
                var documented = Set<String>()
                for (path, item) in doc["paths"]?.objectValue ?? [:] {
                    for method in (item.objectValue ?? [:]).keys where method != "parameters" { documented.insert("\(method.uppercased()) \(path)") }
                }
                #expect(documented.subtracting(covered).isEmpty, "operations this test never called: \(documented.subtracting(covered).sorted())")
            }
        }
    }

    @Test("the validator catches what the document forbids")
    func validatorCatches() throws {
        let doc = try JSONParser.parse(Array(#"{"components":{"schemas":{"E":{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":["string","null"]}},"required":["a"],"additionalProperties":false}}}}"#.utf8))
        let v = SchemaValidator(document: doc)
        let schema: JSONValue = .object(["$ref": .string("#/components/schemas/E")])
        #expect(v.errors(try JSONParser.parse(Array(#"{"a":1,"b":null}"#.utf8)), schema).isEmpty)
        #expect(!v.errors(try JSONParser.parse(Array(#"{"b":"x"}"#.utf8)), schema).isEmpty)
        #expect(!v.errors(try JSONParser.parse(Array(#"{"a":"1"}"#.utf8)), schema).isEmpty)
        #expect(!v.errors(try JSONParser.parse(Array(#"{"a":1,"c":2}"#.utf8)), schema).isEmpty)
    }
}
