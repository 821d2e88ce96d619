import Foundation

extension SandboxState {
    /// Sets (or, with nil, removes) the webhook of `key`, as `POST /v1/configs/webhook` does.
    /// Unlike the endpoint, neither the key nor the URL is checked.
    public func setWebhook(_ webhook: SandboxWebhook?, forKey key: String) {
        ledger.withLock { $0.setWebhook(webhook, for: key) }
    }

    /// The webhook of `key`, if one is set.
    public func webhook(forKey key: String) -> SandboxWebhook? {
        ledger.withLock { $0.webhooks[key] }
    }

    /// Every webhook POST attempt still in the log, oldest first: one entry per attempt and
    /// copy, in the order they finished.
    public func webhookDeliveries() -> [WebhookDelivery] {
        deliveries.withLock { $0.elements }
    }

    /// Queues a message "from a user" for the webhook of `inbound.key` and returns its id
    /// (`wamid.…` in Cloud format, `ABGG…` in On-Premise format). The POST itself happens
    /// in the background while the server runs; watch `webhookDeliveries()` for it. The
    /// message opens (or renews) the user's customer service window with the key's number
    /// from now on the sandbox clock, for the window rule.
    ///
    /// - Throws: `SandboxError.unknownKey` for a key the sandbox does not accept,
    ///   `.noWebhook` when the key has no webhook, `.invalidInbound` for a `from` that is not
    ///   8 to 15 digits, an empty text or an unsupported type.
    @discardableResult
    public func simulateInbound(_ inbound: SimulatedInbound) throws(SandboxError) -> String {
        if inbound.from.isEmpty {
            // A username user: known by their BSUID alone.
            guard let user = inbound.userID, user.count >= 4, user.utf8.dropFirst(2).first == UInt8(ascii: ".") else {
                throw .invalidInbound("a message without from needs user_id, a BSUID such as US.13491208655302741918")
            }
        } else if PhoneNumber.waID(of: inbound.from) == nil {
            throw .invalidInbound("from must be a phone number of 8 to 15 digits")
        }
        guard !inbound.text.isEmpty else { throw .invalidInbound("text must not be empty") }
        guard SimulatedInbound.supportedTypes.contains(inbound.type) else {
            throw .invalidInbound("type must be one of \(SimulatedInbound.supportedTypes.sorted().joined(separator: ", "))")
        }
        let (target, copies): (WebhookTarget, Int)
        let now = clock.now()
        let found = ledger.withLock { ledger in
            let found = ledger.inboundTarget(key: inbound.key)
            if case .success = found {
                ledger.noteInbound(key: inbound.key, from: inbound.from.isEmpty ? inbound.userID ?? "" : inbound.from, now: now)
            }
            return found
        }
        switch found {
        case .success(let found): (target, copies) = found
        case .failure(.unknownKey): throw .unknownKey
        case .failure(.noWebhook): throw .noWebhook(key: ReceivedRecord.fingerprint(of: inbound.key))
        }
        let api = inbound.api ?? target.inboundAPI
        let serial = inboundSerial.wrappingAdd(1, ordering: .relaxed).newValue | (1 << 63)
        let id = format.inboundID(serial: serial, api: api)
        webhookQueue.enqueue(WebhookJob(
            webhook: target.webhook, key: target.key, account: target.account, api: api,
            steps: [WebhookJob.Step(delayMillis: 0, event: .inbound(inbound, id: id), copies: copies)]))
        return id
    }

    /// `simulateInbound(_:)` for a text message in the key's format.
    @discardableResult
    public func simulateInbound(key: String, from: String, text: String) throws(SandboxError) -> String {
        try simulateInbound(SimulatedInbound(key: key, from: from, text: text))
    }

    /// Queues the status webhooks the ledger planned for an accepted message.
    func schedule(_ plan: WebhookPlan, messageID: String, message: ValidMessage, api: SandboxAPI) {
        let steps = plan.steps.map { step in
            let report = WebhookEvent.StatusReport(
                messageID: messageID, status: step.status, recipientID: message.waID,
                callbackData: message.callbackData, messageType: message.type,
                errorCode: step.status == .failed ? plan.failureCode : nil)
            return WebhookJob.Step(delayMillis: step.delayMillis, event: .status(report), copies: step.copies)
        }
        webhookQueue.enqueue(WebhookJob(webhook: plan.target.webhook, key: plan.target.key, account: plan.target.account, api: api, steps: steps))
    }

    /// Adds one POST attempt to the delivery log, without its body unless bodies are recorded.
    func record(_ delivery: WebhookDelivery) {
        var delivery = delivery
        if !recordBodies {
            delivery.body = ""
        }
        deliveries.withLock { $0.append(delivery) }
    }
}
