import Hummingbird

/// Plays `POST /messages` (Cloud) or `POST /v1/messages` (On-Premise): checks the body,
/// asks the state for a verdict and carries it out (wait, answer or drop the connection).
struct MessagesController: Sendable {
    let state: SandboxState
    let api: SandboxAPI

    /// Largest body read; the real API refuses far smaller ones anyway.
    static let maxBodyBytes = 1 << 20

    @Sendable func send(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        // Stamped as the head was decoded (`ArrivalStamp`); the body is still on its way.
        let arrival = ArrivalStamp.arrival(in: request.headers) ?? state.arrivalTime()
        let buffer = try await request.body.collect(upTo: Self.maxBodyBytes)
        let message = MessageBodyValidator.validate(buffer.readableBytesView, api: api)
        let body: String? = if state.recordBodies, case .success = message { String(buffer: buffer) } else { nil }
        let verdict = state.handle(MessageAttempt(api: api, key: request.headers[.d360APIKey], message: message, body: body, arrival: arrival))
        if verdict.delayMillis > 0 {
            try await Task.sleep(for: .milliseconds(verdict.delayMillis))
        }
        switch verdict.outcome {
        case .accepted(let serial):
            // Only a valid body is ever accepted; the fallback keeps the answer well-formed.
            var valid = (try? message.get()) ?? ValidMessage(to: "", waID: "", type: "")
            let changed = state.answerFaults(for: valid.waID)
            if let other = changed.waID { valid.waID = other }
            let id = state.messageID(serial: serial, api: api)
            if let plan = verdict.webhook {
                state.schedule(plan, messageID: id, message: valid, api: api)
            }
            return .json(status: 200, body: ResponseRenderer.success(api: api, input: valid.to, waID: valid.waID, messageID: id,
                                                                     messageStatus: changed.held ? "held_for_quality_assessment" : nil))
        case .apiError(let status, let code, let details, let retryAfter):
            let traceID = "ASbx" + String(verdict.requestNumber, radix: 36)
            let body = ResponseRenderer.apiError(api: api, code: code, details: details, traceID: traceID)
            return .json(status: status, body: body, retryAfterSeconds: retryAfter)
        case .gatewayError(let status, let message):
            return .json(status: status, body: ResponseRenderer.gatewayError(status: status, message: message))
        case .drop:
            try? await context.channel.close()
            throw SandboxError.connectionDropped
        }
    }
}
