import Foundation
import OutboxCore
import Testing
import WhatsApp

@Suite("Answer classification")
struct ClassificationTests {
    func classify(_ status: Int, _ body: String, retryAfter: String? = nil, api: ChannelAPI = .cloud) -> SendResult {
        ResponseClassifier.classify(status: status, body: Array(body.utf8), retryAfter: retryAfter, api: api, nowMillis: 0)
    }

    @Test("a Cloud success yields the wamid")
    func cloudSuccess() {
        let r = classify(200, #"{"messaging_product":"whatsapp","contacts":[{"input":"+1","wa_id":"1"}],"messages":[{"id":"wamid.ABC"}]}"#)
        #expect(r == .accepted(wamid: "wamid.ABC", messageStatus: nil, waID: "1"))
    }

    @Test("any 2xx counts, and a paced template's message_status is kept")
    func created() {
        let r = classify(201, #"{"messages":[{"id":"wamid.X","message_status":"held_for_quality_assessment"}]}"#)
        #expect(r == .accepted(wamid: "wamid.X", messageStatus: "held_for_quality_assessment"))
    }

    @Test("a 2xx without a message id is an unknown outcome, not a success")
    func noID() {
        #expect(classify(200, "{}").outcome == .unknownOutcome)
    }

    @Test("Cloud errors are classified by code, not by HTTP status", arguments: [
        (131026, ErrorClass.permanent), (131047, .permanent), (130429, .retrySlow), (131056, .pair), (131000, .retry),
        (131031, .channel), (190, .channel), (131048, .retrySlow), (100, .permanent), (133004, .retry), (250, .channel),
    ])
    func cloudCodes(code: Int, expected: ErrorClass) {
        let body = #"{"error":{"message":"(#\#(code)) Something","type":"OAuthException","code":\#(code),"error_data":{"messaging_product":"whatsapp","details":"more"},"fbtrace_id":"x"}}"#
        guard case .failed(let failure, let cls, _) = classify(400, body) else {
            Issue.record("expected a failure")
            return
        }
        #expect(cls.errorClass == expected)
        #expect(failure.code == code)
        #expect(failure.traceID == "x")
        #expect(failure.title == "Something")
        #expect(failure.details == "more")
    }

    @Test("On-Premise errors are read from errors[0]")
    func onPremise() {
        guard case .failed(let f, let cls, _) = classify(400, #"{"errors":[{"code":470,"title":"Re-engagement message","details":"24h passed"}],"meta":{"api_status":"stable"}}"#, api: .onpremise) else {
            Issue.record("expected a failure")
            return
        }
        #expect(f.code == 470 && f.title == "Re-engagement message" && f.details == "24h passed")
        #expect(cls.errorClass == .permanent)
        #expect(cls.has(.windowClosed))
    }

    @Test("360dialog gateway errors in both spellings")
    func gateway() {
        guard case .failed(let a, let clsA, _) = classify(401, #"{"meta":{"success":false,"http_code":401,"developer_message":"Invalid api_key"}}"#),
              case .failed(_, let clsB, _) = classify(400, #"{"meta":{"success":false,"httpCode":400,"developerMessage":"You have exceeded the limit of 1 request every 5 seconds. Try again later."}}"#),
              case .failed(_, let clsC, _) = classify(400, #"{"meta":{"success":false,"developerMessage":"Could not send message due to lack of payment"}}"#)
        else {
            Issue.record("expected failures")
            return
        }
        #expect(clsA.errorClass == .channel)
        #expect(a.details == "Invalid api_key")
        #expect(clsB.errorClass == .retrySlow)
        #expect(clsC.errorClass == .channel)
    }

    @Test("Retry-After in seconds is honoured")
    func retryAfter() {
        guard case .failed(_, let cls, let after) = classify(429, "", retryAfter: "3") else {
            Issue.record("expected a failure")
            return
        }
        #expect(cls.errorClass == .retrySlow && cls.has(.throughput))
        #expect(after == 3_000)
    }

    @Test("a 5xx with an error body is retried; a bare 500 or 504 may have been sent")
    func serverErrors() {
        guard case .failed(_, .retry, _) = classify(500, #"{"meta":{"success":false,"http_code":500,"developer_message":"Internal server error"}}"#) else {
            Issue.record("expected a retry")
            return
        }
        #expect(classify(504, "<html>gateway timeout</html>").outcome == .unknownOutcome)
        #expect(classify(503, "").outcome == .retryableError)
    }
}

@Suite("Request bodies")
struct RequestBodyTests {
    @Test("the Cloud envelope wraps the stored message")
    func cloud() throws {
        let body = RequestBody.cloud(payload: #"{"text":{"body":"Hi"},"type":"text"}"#, to: "+4915112345678", callbackData: "wao:abc:7")
        let parsed = try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
        #expect(parsed["messaging_product"] as? String == "whatsapp")
        #expect(parsed["recipient_type"] as? String == "individual")
        #expect(parsed["to"] as? String == "+4915112345678")
        #expect(parsed["biz_opaque_callback_data"] as? String == "wao:abc:7")
        #expect(parsed["type"] as? String == "text")
        #expect((parsed["text"] as? [String: Any])?["body"] as? String == "Hi")
    }

    @Test("the On-Premise body uses the wa_id and a deterministic template language")
    func onPremise() throws {
        let body = try RequestBody.onPremise(payload: #"{"template":{"language":{"code":"en"},"name":"t"},"type":"template"}"#, to: "+4915112345678")
        let parsed = try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
        #expect(parsed["to"] as? String == "4915112345678")
        #expect(parsed["messaging_product"] == nil)
        #expect(parsed["biz_opaque_callback_data"] == nil)
        let language = (parsed["template"] as? [String: Any])?["language"] as? [String: Any]
        #expect(language?["policy"] as? String == "deterministic")
    }
}
