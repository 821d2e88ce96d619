import Hummingbird

extension ControlController {
    /// Body of `GET /sandbox/webhooks`.
    struct DeliveryList: ResponseEncodable {
        var deliveries: [WebhookDelivery]
    }

    /// Body of `POST /sandbox/inbound`.
    struct InboundAnswer: ResponseEncodable {
        var id: String
    }

    /// `GET /sandbox/webhooks[?message_id=…]`: webhook POST attempts, oldest first.
    @Sendable func webhooks(_ request: Request, context: SandboxRequestContext) async throws -> DeliveryList {
        let deliveries = state.webhookDeliveries()
        guard let id = request.uri.queryParameters["message_id"].map(String.init) else {
            return DeliveryList(deliveries: deliveries)
        }
        return DeliveryList(deliveries: deliveries.filter { $0.messageID == id })
    }

    /// `POST /sandbox/inbound`: `{"key","from","text"}` plus optional `type`, `name`,
    /// `context_id`, `api`; queues the message for the key's webhook and answers its id.
    @Sendable func inbound(_ request: Request, context: SandboxRequestContext) async throws -> InboundAnswer {
        let inbound = try await request.decode(as: SimulatedInbound.self, context: context)
        do {
            return InboundAnswer(id: try state.simulateInbound(inbound))
        } catch .unknownKey {
            throw HTTPError(.unauthorized, message: SandboxError.unknownKey.description)
        } catch .noWebhook(let key) {
            throw HTTPError(.notFound, message: SandboxError.noWebhook(key: key).description)
        } catch {
            throw HTTPError(.badRequest, message: error.description)
        }
    }
}
