import OutboxCore
import Synchronization

extension SandboxState {
    /// The catalog `GET /v1/configs/templates` lists.
    public func catalog() -> SandboxCatalog {
        ledger.withLock { $0.catalog }
    }

    /// Replaces the catalog.
    public func setCatalog(_ catalog: SandboxCatalog) {
        ledger.withLock { $0.catalog = catalog }
    }

    /// Sets a template's status (one language, or every language of the name) as Meta would,
    /// and sends each key that has a webhook a `message_template_status_update` for each one
    /// changed: a PAUSED one is answered 132015 from now on, a DISABLED one 132016.
    /// - Returns: the templates changed (empty: no such template).
    @discardableResult
    public func setTemplateStatus(_ status: String, name: String, language: String? = nil, reason: String? = nil, hint: String? = nil) -> [SandboxTemplate] {
        let (changed, targets) = ledger.withLock { l in
            (l.catalog.setStatus(status.uppercased(), name: name, language: language), l.webhooks.keys.sorted().compactMap { l.target(key: $0) })
        }
        for t in changed {
            var value: [String: JSONValue] = [
                "event": .string(t.status), "message_template_id": .int(Int64(abs(t.name.hashValue % 1_000_000_000))),
                "message_template_name": .string(t.name), "message_template_language": .string(t.language),
                "reason": .string(reason ?? "NONE"),
            ]
            if let hint { value["other_info"] = .object(["title": .string(hint), "description": .string(reason ?? "")]) }
            for target in targets {
                webhookQueue.enqueue(WebhookJob(webhook: target.webhook, key: target.key, account: target.account, api: .cloud, steps: [
                    WebhookJob.Step(delayMillis: 0, event: .change(field: "message_template_status_update", value: value, label: "template_\(t.status.lowercased())"), copies: 1),
                ]))
            }
        }
        return changed
    }

    /// Sends `key`'s webhook a `user_preferences` change: the customer `waID` stopped (`stop`) or
    /// resumed (`resume`) marketing messages, as they do from the chat's menu.
    /// - Throws: `.unknownKey`, `.noWebhook`, `.invalidInbound` for a value other than stop/resume.
    public func simulatePreference(key: String, waID: String, value: String, detail: String? = nil) throws(SandboxError) {
        guard value == "stop" || value == "resume" else { throw .invalidInbound("value must be stop or resume") }
        guard let digits = PhoneNumber.waID(of: waID) else { throw .invalidInbound("wa_id must be a phone number of 8 to 15 digits") }
        let found = ledger.withLock { $0.inboundTarget(key: key) }
        let target: WebhookTarget
        switch found {
        case .success(let f): target = f.target
        case .failure(.unknownKey): throw .unknownKey
        case .failure(.noWebhook): throw .noWebhook(key: ReceivedRecord.fingerprint(of: key))
        }
        let preference: JSONValue = .object([
            "wa_id": .string(digits), "value": .string(value), "category": .string("marketing_messages"),
            "detail": .string(detail ?? (value == "stop" ? "User requested to stop marketing messages" : "User requested to resume marketing messages")),
            "timestamp": .int(clock.now() / 1_000_000_000),
        ])
        let value: [String: JSONValue] = [
            "contacts": .array([.object(["wa_id": .string(digits), "profile": .object(["name": .string("Sandbox User")])])]),
            "user_preferences": .array([preference]),
        ]
        webhookQueue.enqueue(WebhookJob(webhook: target.webhook, key: target.key, account: target.account, api: .cloud, steps: [
            WebhookJob.Step(delayMillis: 0, event: .change(field: "user_preferences", value: value, label: "preference_\(value)"), copies: 1),
        ]))
    }

    /// How many template-list requests were answered since start (the daemon's paging and budget).
    public func templateListRequests() -> Int { templateLists.load(ordering: .relaxed) }
}
