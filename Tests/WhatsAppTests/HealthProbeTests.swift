import OutboxCore
import Testing
import WhatsApp

/// Reading 360dialog's health answers (Cloud `/health_status`, On-Premise `/v1/health`).
@Suite("Health probe answers")
struct HealthProbeTests {
    func read(_ json: String, status: Int = 200, api: ChannelAPI = .cloud) -> HealthProbeResult {
        HealthProbe.interpret(status: status, body: Array(json.utf8), api: api, nowMillis: 7)
    }

    @Test("the endpoint follows the API")
    func url() {
        #expect(HealthProbe.url(baseURL: "https://waba-v2.360dialog.io", api: .cloud) == "https://waba-v2.360dialog.io/health_status")
        #expect(HealthProbe.url(baseURL: "https://waba.360dialog.io", api: .onpremise) == "https://waba.360dialog.io/v1/health")
    }

    @Test("Cloud: AVAILABLE and LIMITED can send; BLOCKED names the entity and its error")
    func cloud() {
        #expect(read(#"{"health_status":{"can_send_message":"AVAILABLE","entities":[]}}"#) == HealthProbeResult(status: "AVAILABLE", ok: true, detail: nil, checkedMillis: 7))
        #expect(read(#"{"health_status":{"can_send_message":"LIMITED","entities":[{"entity_type":"WABA","can_send_message":"LIMITED"}]}}"#).ok)
        let blocked = read(#"""
            {"health_status":{"can_send_message":"BLOCKED","entities":[
              {"entity_type":"PHONE_NUMBER","id":"1","can_send_message":"AVAILABLE"},
              {"entity_type":"WABA","id":"2","can_send_message":"BLOCKED","errors":[{"error_code":141006,"error_description":"payment method missing","possible_solution":"add one"}]}]}}
            """#)
        #expect(blocked.status == "BLOCKED")
        #expect(!blocked.ok)
        #expect(blocked.detail == "WABA BLOCKED: 141006 payment method missing")
    }

    @Test("On-Premise: the gateway, or every node of a Multiconnect setup, must be connected")
    func onPremise() {
        #expect(read(#"{"health":{"gateway_status":"connected"}}"#, api: .onpremise).ok)
        let nodes = read(#"{"health":{"a:1":{"gateway_status":"connected","role":"primary_master"},"b:2":{"gateway_status":"disconnected","role":"coreapp"}}}"#, api: .onpremise)
        #expect(nodes == HealthProbeResult(status: "disconnected", ok: false, detail: "b:2 disconnected", checkedMillis: 7))
    }

    @Test("a refused probe says the status and 360dialog's message; an unreadable answer is an error, not a crash")
    func refused() {
        let r = read(#"{"meta":{"success":false,"http_code":401,"developer_message":"Invalid api_key"}}"#, status: 401)
        #expect(r == HealthProbeResult(status: "error", ok: false, detail: "HTTP 401: Invalid api_key", checkedMillis: 7))
        #expect(read("<html>", status: 200).status == "error")
        #expect(read(#"{"other":1}"#).status == "error")
    }
}
