import Foundation
import Testing
@testable import Sandbox

/// Webhook decisions and bodies without HTTP: the ledger's plans, the renderer, the URL rule,
/// the fake account and the new JSON keys.
@Suite("Webhook plans and bodies")
struct WebhookPlanTests {
    /// 2026-11-21T00:00:00Z in nanoseconds, the sandbox clock's unit.
    let start: Int64 = 1_795_219_200_000_000_000

    func attempt(to: String = "+4915112345678", key: String = "key-1") -> MessageAttempt {
        let waID = PhoneNumber.waID(of: to) ?? ""
        return MessageAttempt(api: .cloud, key: key, message: .success(ValidMessage(to: to, waID: waID, type: "text")), body: nil)
    }

    func configuration(faults: SandboxFaults = .init(), webhook: Bool = true) -> SandboxConfiguration {
        SandboxConfiguration(
            keys: ["key-1": SandboxKey(webhookURL: webhook ? "http://127.0.0.1:1/h" : nil), "key-2": SandboxKey()],
            faults: faults, statusDelayMillis: 20)
    }

    @Test("without any webhook the verdict plans nothing (the benchmark path)")
    func noWebhook() {
        var ledger = TrafficLedger(configuration: configuration(webhook: false))
        let verdict = ledger.handle(attempt(), now: start)
        #expect(verdict.outcome == .accepted(serial: 1))
        #expect(verdict.webhook == nil)
    }

    @Test("sent, delivered, read, spaced by the status delay; the first also waits for the answer")
    func statusOrder() {
        // Given a key with a webhook and a slow answer of 50 ms
        var ledger = TrafficLedger(configuration: configuration(faults: SandboxFaults(slowRate: 1, slowMillis: 50)))

        // When a message is accepted
        let plan = ledger.handle(attempt(), now: start).webhook

        // Then the plan has the three statuses, the first after answer plus status delay
        #expect(plan?.steps == [
            .init(status: .sent, delayMillis: 70, copies: 1),
            .init(status: .delivered, delayMillis: 20, copies: 1),
            .init(status: .read, delayMillis: 20, copies: 1),
        ])
        #expect(plan?.target.webhook.url == "http://127.0.0.1:1/h")
        #expect(plan?.failureCode == nil)
        // And another key without a webhook still plans nothing
        #expect(ledger.handle(attempt(key: "key-2"), now: start).webhook == nil)
    }

    @Test("reorder puts read before delivered; a duplicate rate of 1 doubles every status")
    func reorderAndDuplicates() {
        var ledger = TrafficLedger(configuration: configuration(faults: SandboxFaults(webhookDuplicateRate: 1, webhookReorder: true)))
        let steps = ledger.handle(attempt(), now: start).webhook?.steps ?? []
        #expect(steps.map(\.status) == [.sent, .read, .delivered])
        #expect(steps.map(\.copies) == [2, 2, 2])
    }

    @Test("duplicates are drawn apart from the answer faults, reproducibly")
    func duplicatesDoNotShiftFaults() {
        // Given two ledgers with the same seed, one also duplicating half the webhooks
        var plain = TrafficLedger(configuration: configuration(faults: SandboxFaults(serverErrorRate: 0.5)))
        var duplicating = TrafficLedger(configuration: configuration(faults: SandboxFaults(serverErrorRate: 0.5, webhookDuplicateRate: 0.5)))
        var again = TrafficLedger(configuration: configuration(faults: SandboxFaults(serverErrorRate: 0.5, webhookDuplicateRate: 0.5)))

        // When each sees 100 requests
        let a = (0..<100).map { plain.handle(attempt(), now: start + Int64($0) * 1_000_000) }
        let b = (0..<100).map { duplicating.handle(attempt(), now: start + Int64($0) * 1_000_000) }
        let c = (0..<100).map { again.handle(attempt(), now: start + Int64($0) * 1_000_000) }

        // Then the answers are the same, and the duplicates repeat with the seed
        #expect(a.map(\.outcome) == b.map(\.outcome))
        #expect(b.map(\.webhook) == c.map(\.webhook))
        let copies = b.compactMap(\.webhook).flatMap(\.steps).map(\.copies)
        #expect(copies.contains(1) && copies.contains(2))
    }

    @Test("an async recipient fault accepts the message and plans a single failed status")
    func asyncFault() {
        // Given an async fault for the recipient, once, with a 10 ms answer delay
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915112345678", code: 131026, times: 1, delayMillis: 10, async: true)])
        var ledger = TrafficLedger(configuration: configuration(faults: faults))

        // When the recipient is sent to twice
        let first = ledger.handle(attempt(), now: start)
        let second = ledger.handle(attempt(), now: start)

        // Then both are accepted; the first fails later, the second is normal
        #expect(first.outcome == .accepted(serial: 1))
        #expect(first.delayMillis == 10)
        #expect(first.webhook?.steps == [.init(status: .failed, delayMillis: 30, copies: 1)])
        #expect(first.webhook?.failureCode == 131026)
        #expect(second.webhook?.steps.map(\.status) == [.sent, .delivered, .read])
        #expect(ledger.records.count == 2)
    }

    @Test("inbound targets need an accepted key with a webhook")
    func inboundTargets() {
        var ledger = TrafficLedger(configuration: configuration())
        #expect(ledger.inboundTarget(key: "nope").failure == .unknownKey)
        #expect(ledger.inboundTarget(key: "key-2").failure == .noWebhook)
        ledger.setWebhook(SandboxWebhook(url: "https://hooks.example.com/x"), for: "key-2")
        #expect(ledger.inboundTarget(key: "key-2").failure == nil)
        #expect((try? ledger.inboundTarget(key: "key-1").get())?.target.inboundAPI == .cloud)
    }

    @Test("the Cloud failed status carries the full error; On-Premise only code and title")
    func failedBodies() throws {
        let report = WebhookEvent.StatusReport(
            messageID: "wamid.X", status: .failed, recipientID: "4915112345678", callbackData: "cb", messageType: "text", errorCode: 131026)
        let account = FakeAccount(key: "k", phoneNumberID: "123")
        let cloud = try json(WebhookRenderer.body(for: .status(report), api: .cloud, account: account, timestamp: 1_750_030_073))
        let onPremise = try json(WebhookRenderer.body(for: .status(report), api: .onpremise, account: account, timestamp: 1_750_030_073))

        let value = (((cloud["entry"] as? [[String: Any]])?.first?["changes"] as? [[String: Any]])?.first)?["value"] as? [String: Any]
        let cloudStatus = try #require((value?["statuses"] as? [[String: Any]])?.first)
        #expect(cloudStatus["timestamp"] as? String == "1750030073")
        #expect(cloudStatus["biz_opaque_callback_data"] as? String == "cb")
        let cloudError = try #require((cloudStatus["errors"] as? [[String: Any]])?.first)
        #expect(Set(cloudError.keys) == ["code", "title", "message", "error_data"])
        let onPremiseStatus = try #require((onPremise["statuses"] as? [[String: Any]])?.first)
        #expect(onPremiseStatus["biz_opaque_callback_data"] == nil)
        #expect(Set(((onPremiseStatus["errors"] as? [[String: Any]])?.first ?? [:]).keys) == ["code", "title"])
        #expect(Set(onPremise.keys) == ["statuses"])
    }

    @Test("templates are billed on sent, texts are free service answers")
    func pricing() {
        #expect(WebhookRenderer.pricing(messageType: "template", api: .cloud).billable)
        #expect(WebhookRenderer.pricing(messageType: "template", api: .cloud).category == "utility")
        #expect(!WebhookRenderer.pricing(messageType: "text", api: .cloud).billable)
        #expect(WebhookRenderer.pricing(messageType: "text", api: .cloud).type == "free_customer_service")
    }

    @Test("fake account ids are stable, 15 digits, and give way to a configured phone number id")
    func fakeAccount() {
        let a = FakeAccount(key: "key-1", phoneNumberID: nil)
        #expect(a == FakeAccount(key: "key-1", phoneNumberID: nil))
        #expect(a != FakeAccount(key: "key-2", phoneNumberID: nil))
        #expect(a.wabaID.count == 15 && a.phoneNumberID.count == 15 && a.displayPhoneNumber.count == 11)
        let digitsOnly = a.phoneNumberID.allSatisfy { $0.isNumber }
        #expect(digitsOnly)
        #expect(FakeAccount(key: "key-1", phoneNumberID: "106540352242922").phoneNumberID == "106540352242922")
    }

    @Test("new JSON keys are snake_case and optional")
    func decoding() throws {
        let key = try JSONDecoder().decode(SandboxKey.self, from: Data(#"""
            {"webhook_url":"https://h.example.com/x","webhook_headers":{"A":"b"},"api":"onpremise"}
            """#.utf8))
        #expect(key == SandboxKey(webhookURL: "https://h.example.com/x", webhookHeaders: ["A": "b"], api: .onpremise))
        let faults = try JSONDecoder().decode(SandboxFaults.self, from: Data(#"""
            {"webhook_duplicate_rate":0.25,"webhook_reorder":true,"recipients":[{"to":"+491","code":131026,"async":true}]}
            """#.utf8))
        #expect(faults == SandboxFaults(recipients: [RecipientFault(to: "+491", code: 131026, async: true)], webhookDuplicateRate: 0.25, webhookReorder: true))
        #expect(try JSONDecoder().decode(RecipientFault.self, from: Data(#"{"to":"1","code":2}"#.utf8)).async == false)
        #expect(try JSONDecoder().decode(SandboxKey.self, from: Data("{}".utf8)) == SandboxKey())
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}

extension Result {
    /// The error, or nil on success.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
