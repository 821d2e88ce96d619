import AsyncHTTPClient
import Foundation
import Testing
import TestSupport
@testable import Sandbox

/// Injected faults and the throughput limit, over real HTTP.
@Suite("Sandbox faults")
struct SandboxFaultTests {
    @Test("a recipient fault with times: 1 answers its code once, then the recipient succeeds")
    func recipientFaultOnce() async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915112345678", code: 131026, times: 1)])
        try await withSandboxServer(SandboxConfiguration(faults: faults)) { server, client in
            // Given a fault for +4915112345678, once
            // When that recipient is sent to twice (without the plus the second time) and another once
            let first = try await client.sendText(to: "+4915112345678")
            let second = try await client.sendText(to: "4915112345678")
            let other = try await client.sendText(to: "+4915187654321")

            // Then the first answer is the fault, the others succeed
            #expect(first.status == 400)
            #expect(first.errorCode == 131026)
            #expect((first.json["error"] as? [String: Any])?["message"] as? String == "(#131026) Message undeliverable")
            #expect(second.status == 200)
            #expect(other.status == 200)
            #expect(server.state.stats().requests == 3)
            #expect(server.state.stats().accepted == 2)
            #expect(server.state.stats().refused == 1)
        }
    }

    @Test("recipient faults pick sensible statuses: 500 plain, 401 gateway, 403 integrity")
    func recipientFaultStatuses() async throws {
        let faults = SandboxFaults(recipients: [
            RecipientFault(to: "+4915100000001", code: 500),
            RecipientFault(to: "+4915100000002", code: 401),
            RecipientFault(to: "+4915100000003", code: 131031),
            RecipientFault(to: "+4915100000004", code: 131056, httpStatus: 429),
        ])
        try await withSandboxServer(SandboxConfiguration(faults: faults)) { _, client in
            // Given four recipients with different faults
            // When each is sent to
            let plain500 = try await client.sendText(to: "+4915100000001")
            let invalidKey = try await client.sendText(to: "+4915100000002")
            let locked = try await client.sendText(to: "+4915100000003")
            let pair = try await client.sendText(to: "+4915100000004")

            // Then each answer has the fault's status and shape
            #expect(plain500.status == 500)
            #expect((plain500.json["meta"] as? [String: Any])?["developer_message"] as? String == "Internal server error")
            #expect(invalidKey.status == 401)
            #expect((invalidKey.json["meta"] as? [String: Any])?["developer_message"] as? String == "Invalid api_key")
            #expect(locked.status == 403)
            #expect(locked.errorCode == 131031)
            #expect(pair.status == 429)
            #expect(pair.errorCode == 131056)
            #expect(pair.headers.first(name: "Retry-After") == "1")
        }
    }

    @Test("more than messagesPerSecond requests in one second are refused with 130429")
    func throughputLimit() async throws {
        let configuration = SandboxConfiguration(keys: ["limited-key": SandboxKey(messagesPerSecond: 2)])
        let clock = ManualClock()
        try await withSandboxServer(configuration, clock: clock) { server, client in
            // Given a key limited to 2 messages per second, and a clock that stands still
            // When 4 messages are sent in the same instant
            var replies: [SandboxClient.Reply] = []
            for i in 0..<4 {
                replies.append(try await client.sendText(to: "+491510000000\(i)", key: "limited-key"))
            }

            // Then the first 2 are accepted and the others refused with HTTP 400 and 130429
            #expect(replies.map(\.status) == [200, 200, 400, 400])
            for reply in replies.dropFirst(2) {
                #expect(reply.errorCode == 130429)
                let error = reply.json["error"] as? [String: Any]
                #expect(error?["message"] as? String == "(#130429) Rate limit hit")
                #expect((error?["error_data"] as? [String: Any])?["details"] as? String == "Cloud API message throughput has been reached.")
            }
            // And the statistics count every request in the window
            #expect(server.state.maxRequestsInAnyOneSecondWindow(key: "limited-key") == 4)

            // And once the window has passed the key may send again
            clock.advance(byMillis: 999)
            #expect(try await client.sendText(to: "+4915100000009", key: "limited-key").status == 400)
            clock.advance(byMillis: 1)
            #expect(try await client.sendText(to: "+4915100000009", key: "limited-key").status == 200)
        }
    }

    @Test("a drop fault closes the connection without an answer; the next request is served")
    func dropClosesConnection() async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000000", code: 0, times: 1)])
        try await withSandboxServer(SandboxConfiguration(faults: faults)) { server, client in
            // Given a drop fault for one recipient, once
            // When that recipient is sent to
            await #expect(throws: (any Error).self) {
                _ = try await client.sendText(to: "+4915100000000")
            }

            // Then the request was counted but not accepted, and the sandbox keeps serving
            #expect(server.state.requestCount() == 1)
            #expect(server.state.received().isEmpty)
            let again = try await client.sendText(to: "+4915100000000")
            #expect(again.status == 200)
        }
    }

    @Test("a drop rate of 1 drops every valid request")
    func dropRate() async throws {
        try await withSandboxServer(SandboxConfiguration(faults: SandboxFaults(dropRate: 1))) { server, client in
            // Given every request is dropped
            // When a message is sent
            await #expect(throws: (any Error).self) {
                _ = try await client.sendText(to: "+4915112345678")
            }
            // Then nothing was accepted
            #expect(server.state.stats().requests == 1)
            #expect(server.state.stats().accepted == 0)
        }
    }

    @Test("too-many-requests and server-error rates answer 429 with Retry-After and 500")
    func randomRates() async throws {
        try await withSandboxServer(SandboxConfiguration(faults: SandboxFaults(tooManyRequestsRate: 1))) { server, client in
            // Given every request gets a 429
            // When a Cloud and an On-Premise message are sent
            let cloud = try await client.sendText(to: "+4915112345678")
            let onPremise = try await client.send(Bodies.onPremiseText(to: "4915112345678"), path: "/v1/messages")

            // Then both are 429 with Retry-After: 1, with the code of their API
            #expect(cloud.status == 429)
            #expect(cloud.headers.first(name: "Retry-After") == "1")
            #expect(cloud.errorCode == 130429)
            #expect(onPremise.status == 429)
            #expect(onPremise.errorCode == 429)

            // When the faults switch to server errors
            server.state.setFaults(SandboxFaults(serverErrorRate: 1))
            let failed = try await client.sendText(to: "+4915112345678")

            // Then the answer is 360dialog's plain 500
            #expect(failed.status == 500)
            #expect((failed.json["meta"] as? [String: Any])?["http_code"] as? Int == 500)
        }
    }

    @Test("a slow fault delays the answer")
    func slow() async throws {
        try await withSandboxServer(SandboxConfiguration(faults: SandboxFaults(slowRate: 1, slowMillis: 300))) { _, client in
            // Given every answer is delayed by 300 ms
            // When a message is sent
            let clock = ContinuousClock()
            let start = clock.now
            let reply = try await client.sendText(to: "+4915112345678")

            // Then it succeeds, late
            #expect(reply.status == 200)
            #expect(clock.now - start >= .milliseconds(300))
        }
    }
}
