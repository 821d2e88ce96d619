import Foundation
import Testing
@testable import Sandbox

/// The `/sandbox` control endpoints, over real HTTP.
@Suite("Sandbox control endpoints")
struct SandboxControlTests {
    @Test("faults set over HTTP apply; received, stats and reset report and clear the traffic")
    func controlRoundTrip() async throws {
        try await withSandboxServer { server, client in
            // Given faults set through PUT /sandbox/faults with snake_case keys
            let put = try await client.request("/sandbox/faults", method: .PUT, body: #"""
                {"recipients":[{"to":"+4915100000001","code":131047,"times":1,"http_status":400}]}
                """#)
            #expect(put.status == 200)
            #expect(server.state.faults().recipients == [RecipientFault(to: "+4915100000001", code: 131047, httpStatus: 400, times: 1)])
            #expect(server.state.faults().dropRate == 0)

            // When that recipient is sent to twice and another once
            #expect(try await client.sendText(to: "+4915100000001").errorCode == 131047)
            #expect(try await client.sendText(to: "+4915100000001").status == 200)
            #expect(try await client.sendText(to: "+4915100000002").status == 200)

            // Then stats count every request
            let stats = try await client.request("/sandbox/stats")
            #expect(stats.json["requests"] as? Int == 3)
            #expect(stats.json["accepted"] as? Int == 2)
            #expect(stats.json["refused"] as? Int == 1)

            // And received filters by recipient digits
            let received = try await client.request("/sandbox/received?to=4915100000001")
            let messages = try #require(received.json["messages"] as? [[String: Any]])
            #expect(messages.count == 1)
            #expect(messages.first?["to"] as? String == "+4915100000001")
            #expect(messages.first?["key"] as? String == "test…")
            #expect(messages.first?["api"] as? String == "cloud")
            #expect((messages.first?["wamid"] as? String)?.hasPrefix("wamid.") == true)
            let all = try await client.request("/sandbox/received")
            #expect((all.json["messages"] as? [Any])?.count == 2)

            // When the sandbox is reset
            let reset = try await client.request("/sandbox/reset", method: .POST)

            // Then the traffic is gone
            #expect(reset.status == 200)
            #expect(server.state.requestCount() == 0)
            #expect(server.state.received().isEmpty)
            #expect((try await client.request("/sandbox/received").json["messages"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("a malformed faults document is refused and leaves the faults alone")
    func badFaults() async throws {
        try await withSandboxServer(SandboxConfiguration(faults: SandboxFaults(slowRate: 0.5, slowMillis: 10))) { server, client in
            // Given faults in force
            // When a faults document of the wrong shape is put
            let reply = try await client.request("/sandbox/faults", method: .PUT, body: #"{"drop_rate":"often"}"#)

            // Then it is refused and the faults are unchanged
            #expect(reply.status == 400)
            #expect(server.state.faults() == SandboxFaults(slowRate: 0.5, slowMillis: 10))
        }
    }
}
