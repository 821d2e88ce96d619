import Hummingbird
import OutboxAPI
import OutboxCore
import WhatsApp

/// `POST /v1/channels/{name}/webhook` and `GET` of the same: registers or shows the channel's
/// webhook at 360dialog (`{base_url}/v1/configs/webhook`). The daemon makes the call because
/// only it holds the channel's key.
struct WebhookConfigController: Sendable {
    /// The channels configured now (a reload changes them).
    let registry: Channels
    let api: (any AccountAPI)?
    let timeoutMillis: Int64

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.post("channels/:name/webhook", use: set)
        group.get("channels/:name/webhook", use: show)
    }

    @Sendable func set(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            let channel = try self.channel(context)
            let json = try MessagesController.decode(try await MessagesController.body(request, limit: 64 << 10)[...])
            guard let url = json["url"]?.stringValue else { throw APIErrorBody(.invalidField, "is required", field: "url") }
            if let problem = WebhookURLRule.problem(url) { throw APIErrorBody(.invalidField, problem, field: "url") }
            var body: [String: JSONValue] = ["url": .string(url)]
            if let headers = json["headers"] {
                guard let h = headers.objectValue, h.values.allSatisfy({ $0.stringValue != nil }) else {
                    throw APIErrorBody(.invalidField, "must be an object of header names to string values", field: "headers")
                }
                body["headers"] = headers
            }
            return try await forward("POST", channel: channel, body: JSONValue.object(body).canonicalText)
        } catch let e as APIErrorBody {
            return JSONResponse.error(e)
        }
    }

    @Sendable func show(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            return try await forward("GET", channel: try channel(context), body: nil)
        } catch let e as APIErrorBody {
            return JSONResponse.error(e)
        }
    }

    private func channel(_ context: BasicRequestContext) throws -> ChannelRuntime {
        let name = context.parameters.get("name") ?? ""
        guard let r = registry.runtime(named: name) else {
            throw APIErrorBody(.unknownChannel, "no channel named '\(name)' is configured", field: "channel")
        }
        return r
    }

    /// Passes 360dialog's answer through: its status and body, so the operator sees what it said.
    private func forward(_ method: String, channel: ChannelRuntime, body: String?) async throws -> Response {
        guard let api else { throw APIErrorBody(.unavailable, "this daemon has no HTTP client for the account API") }
        do {
            let (status, bytes) = try await api.call(method, url: channel.config.baseURL + "/v1/configs/webhook",
                                                     apiKey: channel.config.apiKey.value, body: body, timeoutMillis: timeoutMillis)
            return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(bytes: bytes)))
        } catch {
            throw APIErrorBody(.unavailable, "360dialog could not be reached: \(ErrorText.describe(error))")
        }
    }
}
