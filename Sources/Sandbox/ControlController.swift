import Hummingbird

/// The sandbox's own JSON endpoints under `/sandbox`: what it received, its counters, its
/// faults and rules, reset, the webhook deliveries and simulated user messages
/// (`ControlController+Webhooks.swift`). Used by the demo script and by tests that talk HTTP
/// only.
struct ControlController: Sendable {
    let state: SandboxState

    /// Body of `GET /sandbox/received`.
    struct ReceivedList: ResponseEncodable {
        var messages: [ReceivedMessage]
    }

    func addRoutes(to group: RouterGroup<SandboxRequestContext>) {
        group.get("received", use: received)
        group.get("stats", use: stats)
        group.get("faults", use: faults)
        group.put("faults", use: setFaults)
        group.get("rules", use: rules)
        group.put("rules", use: setRules)
        group.post("reset", use: reset)
        group.get("webhooks", use: webhooks)
        group.post("inbound", use: inbound)
        addTemplateRoutes(to: group)
    }

    /// `GET /sandbox/received[?to=+49…]`: accepted messages, oldest first.
    @Sendable func received(_ request: Request, context: SandboxRequestContext) async throws -> ReceivedList {
        ReceivedList(messages: state.received(to: request.uri.queryParameters["to"].map(String.init)))
    }

    /// `GET /sandbox/stats[?over=N]`: `{"requests","accepted","refused","pair_violations",
    /// "window_violations","throughput_violations","keys":[...]}` (see `SandboxStats`); each
    /// key's `windows_over` counts sliding seconds with more than N arrivals (default: the
    /// key's throughput limit).
    @Sendable func stats(_ request: Request, context: SandboxRequestContext) async throws -> SandboxStats {
        let over = request.uri.queryParameters.get("over").flatMap { Int($0) }.map { max(0, $0) }
        return state.stats(over: over)
    }

    /// `GET /sandbox/faults`: the faults in force.
    @Sendable func faults(_ request: Request, context: SandboxRequestContext) async throws -> SandboxFaults {
        state.faults()
    }

    /// `PUT /sandbox/faults`: replaces the faults (snake_case JSON, every key optional) and
    /// echoes them.
    @Sendable func setFaults(_ request: Request, context: SandboxRequestContext) async throws -> SandboxFaults {
        let faults = try await request.decode(as: SandboxFaults.self, context: context)
        state.setFaults(faults)
        return faults
    }

    /// `GET /sandbox/rules`: the rules in force.
    @Sendable func rules(_ request: Request, context: SandboxRequestContext) async throws -> SandboxRules {
        state.rules()
    }

    /// `PUT /sandbox/rules`: replaces the rules (snake_case JSON, every key optional, missing
    /// means off or Meta's figure) and echoes them; 400 naming the field when one is unusable.
    @Sendable func setRules(_ request: Request, context: SandboxRequestContext) async throws -> SandboxRules {
        let rules = try await request.decode(as: SandboxRules.self, context: context)
        do {
            try state.setRules(rules)
        } catch {
            throw HTTPError(.badRequest, message: error.description)
        }
        return rules
    }

    /// `POST /sandbox/reset`: forgets the traffic and webhook deliveries; answers the
    /// (zeroed) counters.
    @Sendable func reset(_ request: Request, context: SandboxRequestContext) async throws -> SandboxStats {
        state.reset()
        return state.stats()
    }
}

extension SandboxStats: ResponseEncodable {}
extension SandboxFaults: ResponseEncodable {}
extension SandboxRules: ResponseEncodable {}
