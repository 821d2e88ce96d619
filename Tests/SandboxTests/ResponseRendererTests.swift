import Foundation
import Testing
@testable import Sandbox

/// The hand-written JSON of the answers is valid JSON and escapes what it must.
@Suite("Response renderer")
struct ResponseRendererTests {
    func parse(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("success bodies echo the input, escaped, in both shapes")
    func success() throws {
        // Given an input with quotes, backslashes and control characters
        let input = "+49 \"151\" \\ \n\u{1}"

        // When success bodies are rendered
        let cloud = try parse(ResponseRenderer.success(api: .cloud, input: input, waID: "49151", messageID: "wamid.X"))
        let onPremise = try parse(ResponseRenderer.success(api: .onpremise, input: input, waID: "49151", messageID: "gBEGX"))

        // Then they parse and carry the input unchanged
        #expect((cloud["contacts"] as? [[String: Any]])?.first?["input"] as? String == input)
        #expect((onPremise["contacts"] as? [[String: Any]])?.first?["input"] as? String == input)
        #expect((onPremise["meta"] as? [String: Any])?["version"] as? String == "2.51.2")
    }

    @Test("error bodies have Meta's message format and 360dialog's meta spelling")
    func errors() throws {
        // When each error shape is rendered
        let cloud = try parse(ResponseRenderer.apiError(api: .cloud, code: 131056, details: "a \"b\"", traceID: "T"))
        let onPremise = try parse(ResponseRenderer.apiError(api: .onpremise, code: 470, details: "d", traceID: "T"))
        let gateway = try parse(ResponseRenderer.gatewayError(status: 500, message: "Internal server error"))

        // Then each parses with the expected fields
        let error = cloud["error"] as? [String: Any]
        #expect(error?["message"] as? String == "(#131056) (Business Account, Consumer Account) pair rate limit hit")
        #expect((error?["error_data"] as? [String: Any])?["details"] as? String == "a \"b\"")
        #expect((onPremise["errors"] as? [[String: Any]])?.first?["title"] as? String == "Re-engagement message")
        #expect((gateway["meta"] as? [String: Any])?["http_code"] as? Int == 500)
    }

    @Test("recipients are 8 to 15 digits with the usual punctuation")
    func phoneNumbers() {
        #expect(PhoneNumber.waID(of: "+49 (151) 123-45678") == "4915112345678")
        #expect(PhoneNumber.waID(of: "4915112345678") == "4915112345678")
        #expect(PhoneNumber.waID(of: "+1234567") == nil)
        #expect(PhoneNumber.waID(of: "+1234567890123456") == nil)
        #expect(PhoneNumber.waID(of: "+49151x2345678") == nil)
    }

    @Test("message ids differ by serial and API and keep the real prefixes")
    func wamids() {
        let format = WamidFormat(prefix: 42)
        #expect(format.id(serial: 1, api: .cloud) != format.id(serial: 2, api: .cloud))
        #expect(format.id(serial: 1, api: .cloud).hasPrefix("wamid.HBgL"))
        #expect(format.id(serial: 1, api: .onpremise).hasPrefix("gBEG"))
        #expect(WamidFormat().id(serial: 1, api: .cloud) != WamidFormat().id(serial: 1, api: .cloud))
    }
}
