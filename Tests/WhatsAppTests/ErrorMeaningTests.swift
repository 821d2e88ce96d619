import Foundation
import OutboxCore
import Testing
import WhatsApp

/// The one table of what codes mean: classes and facts, for answers and failed statuses alike.
@Suite("Error meanings")
struct ErrorMeaningTests {
    func classify(_ status: Int, _ body: String, api: ChannelAPI = .cloud) -> SendResult {
        ResponseClassifier.classify(status: status, body: Array(body.utf8), retryAfter: nil, api: api, nowMillis: 0)
    }

    func meaning(_ status: Int, _ body: String, api: ChannelAPI = .cloud) -> ErrorMeaning? {
        if case .failed(_, let m, _) = classify(status, body, api: api) { return m }
        return nil
    }

    func cloudError(_ code: Int) -> String {
        #"{"error":{"message":"(#\#(code)) x","type":"OAuthException","code":\#(code),"fbtrace_id":"AbC123"}}"#
    }

    @Test("each code carries the facts the daemon acts on", arguments: [
        (131047, ErrorClass.permanent, FailureFact.windowClosed), (131026, .permanent, .recipientUnreachable),
        (132015, .permanent, .templatePaused), (132016, .permanent, .templateDisabled), (130429, .retrySlow, .throughput),
        (131056, .pair, .pairLimit), (131042, .channel, .channelBlocked(liftsAfterMillis: nil)),
        (131057, .channel, .channelBlocked(liftsAfterMillis: 60_000)), (2494100, .channel, .channelBlocked(liftsAfterMillis: 60_000)),
        (131048, .retrySlow, .spamRestriction), (131049, .permanent, .marketingLimit), (131050, .permanent, .optedOut),
        (368, .channel, .channelBlocked(liftsAfterMillis: nil)), (131064, .channel, .channelBlocked(liftsAfterMillis: nil)),
    ])
    func facts(code: Int, cls: ErrorClass, fact: FailureFact) throws {
        let m = try #require(meaning(400, cloudError(code)))
        #expect(m.errorClass == cls)
        #expect(m.facts == [fact])
    }

    @Test("On-Premise codes: a bare {errors:[{code:429}]} is a throughput limit, 470 closes the window, 471 is the spam limit")
    func onPremise() throws {
        let throttle = try #require(meaning(429, #"{"errors":[{"code":429}]}"#, api: .onpremise))
        #expect(throttle.errorClass == .retrySlow && throttle.has(.throughput))
        #expect(meaning(400, #"{"errors":[{"code":470,"title":"Re-engagement message"}]}"#, api: .onpremise)?.has(.windowClosed) == true)
        #expect(meaning(400, #"{"errors":[{"code":471,"title":"Spam rate limit hit"}]}"#, api: .onpremise)?.has(.spamRestriction) == true)
        #expect(meaning(400, #"{"errors":[{"code":1026,"title":"Receiver incapable"}]}"#, api: .onpremise)?.has(.recipientUnreachable) == true)
    }

    @Test("a 4xx without a Meta code is a configuration problem of the channel, not of the message")
    func configuration() throws {
        let blocked = try #require(meaning(403, #"{"meta":{"success":false,"http_code":403,"developer_message":"The endpoint is blocked"}}"#))
        #expect(blocked.errorClass == .channel && blocked.has(.configurationProblem))
        let wrongPath = try #require(meaning(404, "<html>Not Found</html>"))
        #expect(wrongPath.errorClass == .channel && wrongPath.has(.configurationProblem))
        // About the body of this one message: it fails alone.
        #expect(meaning(400, "")?.errorClass == .permanent)
        #expect(meaning(413, "")?.errorClass == .permanent)
        // An unknown Meta code with a 403 came from the API itself: the endpoint is right.
        #expect(meaning(403, cloudError(199_999)) == .permanent)
    }

    @Test("the decision pauses the channel for a configuration problem, saying what to check, and keeps the message")
    func configurationDecision() throws {
        var rng = SystemRandomNumberGenerator()
        let result = classify(404, "")
        let decision = SendDecision.after(result, history: .init(), createdMillis: 0, nowMillis: 10, policy: RetryPolicy(), rng: &rng)
        guard case .pauseChannel(let reason, let until) = decision else {
            Issue.record("expected a pause, got \(decision)")
            return
        }
        #expect(reason.contains("configuration problem") && reason.contains("base_url") && reason.contains("HTTP 404"))
        #expect(until == nil)
    }

    @Test("the answer's fbtrace_id, message_status and contacts[0].wa_id are kept")
    func audit() throws {
        guard case .failed(let f, _, _) = classify(400, cloudError(131009)) else { throw HarnessLikeError() }
        #expect(f.traceID == "AbC123")
        let ok = classify(200, #"{"contacts":[{"input":"+5511987654321","wa_id":"551187654321"}],"messages":[{"id":"wamid.1","message_status":"held_for_quality_assessment"}]}"#)
        #expect(ok == .accepted(wamid: "wamid.1", messageStatus: "held_for_quality_assessment", waID: "551187654321"))
        // The Marketing Messages endpoint's wrapper.
        #expect(meaning(400, #"{"detail":{"error":{"code":131049,"message":"x"}}}"#)?.has(.marketingLimit) == true)
    }

    @Test("a failed status is classified by the same table, the payload's format naming the API")
    func statuses() throws {
        let cloud = #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"p"},"statuses":[{"id":"wamid.A","status":"failed","timestamp":"1750030073","recipient_id":"1","errors":[{"code":131042,"title":"Business eligibility payment issue"}]}]}}]}]}"#
        let s = try #require(try WebhookPayload.parse(Array(cloud.utf8)).statuses.first)
        #expect(s.meaning?.errorClass == .channel && s.meaning?.has(.channelBlocked(liftsAfterMillis: nil)) == true)
        let onPremise = #"{"statuses":[{"id":"g1","status":"failed","timestamp":"1518694700","recipient_id":"1","errors":[{"code":471,"title":"Spam rate limit hit"}]}]}"#
        #expect(try WebhookPayload.parse(Array(onPremise.utf8)).statuses.first?.meaning?.has(.spamRestriction) == true)
    }

    @Test("a status's pricing, conversation and recipient_user_id are read")
    func pricing() throws {
        let body = #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"p"},"statuses":[{"id":"wamid.A","status":"sent","timestamp":"1750030073","recipient_id":"1","recipient_user_id":"US.13491208655302741918","conversation":{"id":"c1","origin":{"type":"marketing"},"expiration_timestamp":"1750116473"},"pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"marketing"}}]}}]}]}"#
        let s = try #require(try WebhookPayload.parse(Array(body.utf8)).statuses.first)
        #expect(s.pricing == Pricing(billable: true, model: "PMP", type: "regular", category: "marketing"))
        #expect(s.conversation == Conversation(id: "c1", originType: "marketing", expiresMillis: 1_750_116_473_000))
        #expect(s.recipientUserID == "US.13491208655302741918")
    }

    @Test("a message from a username user (no from, only from_user_id / contacts[].user_id) is read, not dropped")
    func bsuidInbound() throws {
        let body = #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"p"},"contacts":[{"profile":{"name":"A"},"user_id":"US.13491208655302741918"}],"messages":[{"from_user_id":"US.13491208655302741918","id":"wamid.I","timestamp":"1750030073","type":"text","text":{"body":"hi"}}]}}]}]}"#
        let p = try WebhookPayload.parse(Array(body.utf8))
        #expect(p.inbound.count == 1)
        #expect(p.inbound.first?.from == nil)
        #expect(p.inbound.first?.userID == "US.13491208655302741918")
        let contactOnly = #"{"contacts":[{"user_id":"BR.abc123"}],"messages":[{"id":"X","timestamp":"1","type":"text"}]}"#
        #expect(try WebhookPayload.parse(Array(contactOnly.utf8)).inbound.first?.userID == "BR.abc123")
    }

    @Test("a BSUID recipient is addressed with recipient, not to; On-Premise refuses it")
    func bsuidBody() throws {
        let body = RequestBody.cloud(payload: #"{"text":{"body":"Hi"},"type":"text"}"#, to: "US.13491208655302741918", callbackData: nil)
        let parsed = try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
        #expect(parsed["recipient"] as? String == "US.13491208655302741918")
        #expect(parsed["to"] == nil)
        #expect(throws: (any Error).self) { try RequestBody.onPremise(payload: #"{"type":"text","text":{"body":"x"}}"#, to: "US.1") }
    }
}

struct HarnessLikeError: Error {}
