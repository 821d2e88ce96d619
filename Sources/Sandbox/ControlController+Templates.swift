import Hummingbird
import OutboxCore

extension ControlController {
    /// Body of `PUT /sandbox/templates`: a catalog, or `generate` templates `bulk_0` ...
    struct CatalogRequest: Decodable {
        var templates: [SandboxTemplate]?
        var generate: Int?
    }

    /// Body of `POST /sandbox/templates/status`.
    struct StatusRequest: Decodable {
        var name: String
        var language: String?
        var status: String
        var reason: String?
        /// `other_info.title` of the webhook: `FIRST_PAUSE`, `SECOND_PAUSE`.
        var hint: String?
    }

    /// Body of `POST /sandbox/preferences`.
    struct PreferenceRequest: Decodable {
        var key: String
        var waID: String
        var value: String
        var detail: String?

        enum CodingKeys: String, CodingKey { case key, waID = "wa_id", value, detail }
    }

    struct Done: ResponseEncodable {
        var changed: Int
    }

    func addTemplateRoutes(to group: RouterGroup<SandboxRequestContext>) {
        group.get("templates", use: templates)
        group.put("templates", use: setTemplates)
        group.post("templates/status", use: templateStatus)
        group.post("preferences", use: preference)
    }

    /// `GET /sandbox/templates`: the catalog.
    @Sendable func templates(_ request: Request, context: SandboxRequestContext) async throws -> SandboxCatalog {
        state.catalog()
    }

    /// `PUT /sandbox/templates`: `{"templates": [...]}` or `{"generate": 250}` replaces the catalog.
    @Sendable func setTemplates(_ request: Request, context: SandboxRequestContext) async throws -> SandboxCatalog {
        let body = try await request.decode(as: CatalogRequest.self, context: context)
        let catalog = body.generate.map(SandboxCatalog.generated) ?? SandboxCatalog(templates: body.templates ?? [])
        state.setCatalog(catalog)
        return catalog
    }

    /// `POST /sandbox/templates/status`: `{"name", "language"?, "status", "reason"?, "hint"?}`
    /// pauses, unpauses (APPROVED) or disables a template, with the status webhooks; 404 for no
    /// such template.
    @Sendable func templateStatus(_ request: Request, context: SandboxRequestContext) async throws -> Done {
        let body = try await request.decode(as: StatusRequest.self, context: context)
        let changed = state.setTemplateStatus(body.status, name: body.name, language: body.language, reason: body.reason, hint: body.hint)
        guard !changed.isEmpty else { throw HTTPError(.notFound, message: "no template \(body.name) in the catalog") }
        return Done(changed: changed.count)
    }

    /// `POST /sandbox/preferences`: `{"key", "wa_id", "value": "stop"|"resume", "detail"?}` sends
    /// the key's webhook a `user_preferences` change.
    @Sendable func preference(_ request: Request, context: SandboxRequestContext) async throws -> Done {
        let body = try await request.decode(as: PreferenceRequest.self, context: context)
        do {
            try state.simulatePreference(key: body.key, waID: body.waID, value: body.value, detail: body.detail)
        } catch .unknownKey {
            throw HTTPError(.unauthorized, message: SandboxError.unknownKey.description)
        } catch .noWebhook(let key) {
            throw HTTPError(.notFound, message: SandboxError.noWebhook(key: key).description)
        } catch {
            throw HTTPError(.badRequest, message: error.description)
        }
        return Done(changed: 1)
    }
}

extension SandboxCatalog: ResponseEncodable {}
