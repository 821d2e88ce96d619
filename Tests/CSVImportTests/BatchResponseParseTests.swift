import Foundation
import OutboxAPI
import Testing

/// The importer reads batch answers with `BatchResponse(parsing:)`: it must read what the
/// daemon writes (`jsonBytes`) exactly as `JSONDecoder` reads it, and refuse what is not one.
@Suite("Batch answers read without JSONDecoder")
struct BatchResponseParseTests {
    @Test("every kind of line result reads back as JSONDecoder reads it")
    func sameAsDecoder() throws {
        let response = BatchResponse(accepted: 2, rejected: 2, results: [
            .init(line: 1, id: "17", duplicate: false),
            .init(line: 2, id: "9", duplicate: true),
            .init(line: 3, error: APIErrorBody(.invalidField, "'12' has 2 digits", field: "to").error),
            .init(line: 5, error: APIErrorBody(.conflict, "idempotency_key already used \"x\"\n").error),
        ])
        let bytes = response.jsonBytes
        #expect(BatchResponse(parsing: bytes) == response)
        #expect(try JSONDecoder().decode(BatchResponse.self, from: Data(bytes)) == BatchResponse(parsing: bytes))
    }

    @Test("what is not a batch answer is refused, not half read", arguments: [
        "", "[]", #"{"accepted":1}"#, #"{"accepted":"1","rejected":0,"results":[]}"#,
        #"{"accepted":1,"rejected":0,"results":[{"id":"1"}]}"#, #"{"accepted":1,"rejected":0,"results":[{"line":1,"id":7}]}"#,
        #"{"accepted":0,"rejected":1,"results":[{"line":1,"error":{"code":"no_such_code","message":"x"}}]}"#,
    ])
    func refused(text: String) {
        #expect(BatchResponse(parsing: Array(text.utf8)) == nil)
    }
}
