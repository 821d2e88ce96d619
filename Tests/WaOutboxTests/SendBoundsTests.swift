import Foundation
import OutboxCore
import Testing
@testable import wa_outbox

/// `send` checks its times before it asks the daemon (issue 12 point 1): no option makes the
/// client trap, and a time beyond the 366-day horizon is refused with the option named.
@Suite("send: time options are bounded")
struct SendBoundsTests {
    func parse(_ args: [String]) throws -> Send {
        try Send.parse(["--channel", "main", "--to", "+4915112345678", "--text", "hi"] + args)
    }

    @Test("--expires-in and --not-before beyond the horizon are refused, naming the option", arguments: [
        (["--expires-in", "1e20s"], "--expires-in"), (["--expires-in", "400d"], "--expires-in"), (["--expires-in", "1e300d"], "--expires-in"),
        (["--not-before", "2300-01-01T00:00:00Z"], "--not-before"), (["--not-before", "9999-12-31T23:59:59Z"], "--not-before"),
    ])
    func refused(_ args: [String], _ option: String) {
        #expect {
            _ = try parse(args)
        } throws: { error in
            Send.message(for: error).contains(option)
        }
    }

    @Test("times inside the horizon pass")
    func accepted() throws {
        _ = try parse(["--expires-in", "365d"])
        _ = try parse(["--not-before", RFC3339.format(millis: Send.nowMillis() + 30 * 86_400_000)])
    }
}
