extension TrafficLedger {
    /// Why a simulated inbound message cannot be delivered.
    enum InboundRefusal: Error, Equatable {
        /// The key is not one the sandbox accepts.
        case unknownKey
        /// The key has no webhook URL.
        case noWebhook
    }

    /// The webhook generator's seed: the fault seed, scrambled so the two sequences differ.
    static func webhookSeed(_ seed: UInt64) -> UInt64 {
        seed ^ 0x5745_4248_4F4F_4B53
    }

    /// Sets or (with nil) removes the webhook of `key`.
    mutating func setWebhook(_ webhook: SandboxWebhook?, for key: String) {
        webhooks[key] = webhook
    }

    /// Where `key`'s webhooks go and who they come from, or nil without a webhook.
    func target(key: String) -> WebhookTarget? {
        guard let webhook = webhooks[key] else { return nil }
        let settings = keys[key]
        return WebhookTarget(
            key: key, webhook: webhook,
            account: FakeAccount(key: key, phoneNumberID: settings?.phoneNumberID),
            inboundAPI: settings?.api ?? .cloud)
    }

    /// The status webhooks of a message accepted for `key`: `sent`, `delivered`, `read`
    /// (`read` before `delivered` under the reorder fault), or only `failed` when
    /// `failureCode` is set; each `statusDelayMillis` after the previous, the first also after
    /// the answer's own delay `afterMillis`. Nil when the key has no webhook.
    mutating func statusPlan(key: String, afterMillis: Int, failureCode: Int?) -> WebhookPlan? {
        guard let target = target(key: key) else { return nil }
        let statuses: [WebhookStatus] = if failureCode != nil {
            [.failed]
        } else if faults.webhookReorder {
            [.sent, .read, .delivered]
        } else {
            [.sent, .delivered, .read]
        }
        var steps: [WebhookPlan.Step] = []
        for status in statuses {
            let delay = steps.isEmpty ? afterMillis + statusDelayMillis : statusDelayMillis
            steps.append(WebhookPlan.Step(status: status, delayMillis: delay, copies: drawCopies()))
        }
        return WebhookPlan(target: target, steps: steps, failureCode: failureCode)
    }

    /// Where a simulated inbound message for `key` goes, and in how many copies.
    mutating func inboundTarget(key: String) -> Result<(target: WebhookTarget, copies: Int), InboundRefusal> {
        guard accepts(key: key) else { return .failure(.unknownKey) }
        guard let target = target(key: key) else { return .failure(.noWebhook) }
        return .success((target, drawCopies()))
    }

    /// 2 with the duplicate rate's probability, else 1.
    private mutating func drawCopies() -> Int {
        webhookRandom.chance(faults.webhookDuplicateRate) ? 2 : 1
    }
}
