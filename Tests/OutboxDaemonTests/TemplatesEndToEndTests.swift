import Foundation
import OutboxAPI
import OutboxCore
import OutboxDaemon
import Sandbox
import Testing
import TestSupport

/// Templates and opt-outs end to end: the real socket, the real webhook receiver, real HTTP to
/// the sandbox, which lists its catalog, pauses, unpauses and disables templates with their
/// status webhooks and 132015/132016 answers, sends user_preferences webhooks, and answers
/// 131049/131050 for chosen recipients. On SQLite, and on PostgreSQL when scripts/test started one.
@Suite("Templates and opt-outs end to end")
struct TemplatesEndToEndTests {
    let dir = TempDir()
    /// The schema of this test's PostgreSQL database, when it runs on PostgreSQL.
    let schema = TestPostgres.freshSchema()
    static let hour: Int64 = 3_600_000
    static let engines = TestPostgres.available ? ["sqlite", "postgresql"] : ["sqlite"]

    func config(_ url: String, _ engine: String, _ edit: (inout DaemonConfig) -> Void = { _ in }) -> DaemonConfig {
        var c = testConfig(dir: dir, baseURL: url)
        if engine == "postgresql", let pg = TestPostgres.url { c.databasePath = pg + "&options=-c%20search_path%3D" + schema }
        c.webhook.listen = "127.0.0.1:0"
        c.channels[0].rules.pairIntervalMillis = 0
        edit(&c)
        return c
    }

    func connect(_ sandbox: SandboxServer, _ d: DaemonHarness) async throws {
        _ = try await eventually(timeoutSeconds: 30) { d.daemon.webhookListeningPort != nil }
        sandbox.state.setWebhook(SandboxWebhook(url: "http://127.0.0.1:\(d.daemon.webhookListeningPort!)/webhooks/main"), forKey: "key-main")
    }

    func sync(_ d: DaemonHarness) async throws -> TemplateSyncDocument {
        let (status, body) = try await d.post("/v1/templates/sync?channel=main", json: "")
        guard status == 200 else { throw HarnessError("sync answered \(status): \(String(decoding: body, as: UTF8.self))") }
        return try JSONDecoder().decode(TemplateSyncDocument.self, from: Data(body))
    }

    static func sale(_ to: String, extra: String = "") -> String {
        #"{"channel":"main","to":"\#(to)","message":{"type":"template","template":{"name":"spring_sale","language":{"code":"en_US"},"components":[{"type":"header","parameters":[{"type":"image","image":{"link":"https://x.example/a.png"}}]},{"type":"body","parameters":[{"type":"text","text":"20%"}]}]}}\#(extra)}"#
    }

    static func order(_ to: String, params: Int = 2, extra: String = "") -> String {
        let p = (0..<params).map { #"{"type":"text","text":"p\#($0)"}"# }.joined(separator: ",")
        return #"{"channel":"main","to":"\#(to)","message":{"type":"template","template":{"name":"order_update","language":{"code":"en_US"},"components":[{"type":"body","parameters":[\#(p)]}]}}\#(extra)}"#
    }

    func submit(_ d: DaemonHarness, _ json: String) async throws -> (status: Int, id: String?, error: APIErrorBody?) {
        let (status, body) = try await d.post("/v1/messages", json: json)
        if status == 202 || status == 200 { return (status, try JSONDecoder().decode(SubmitResponse.self, from: Data(body)).id, nil) }
        return (status, nil, try? JSONDecoder().decode(APIErrorBody.self, from: Data(body)))
    }

    func status(_ d: DaemonHarness, _ json: String) async throws -> Int {
        try await d.post("/v1/messages", json: json).status
    }

    func events(_ d: DaemonHarness, _ type: String) async throws -> [JSONValue] {
        let (_, body) = try await d.get("/v1/events?type=\(type)&limit=1000")
        return (try JSONParser.parse(body))["events"]?.arrayValue ?? []
    }

    var nowMillis: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    @Test("templates sync pages through the list within the hourly budget; list and stats show the catalog", arguments: Self.engines)
    func catalog(engine: String) async throws {
        try await withSandbox { sandbox, url in
            try await withDaemon(config(url, engine) { $0.templates.pageSize = 2; $0.templates.requestsPerHour = 3 }, dir: dir) { d in
                if engine == "postgresql", case .sqlite = d.daemon.config.database { Issue.record("not on PostgreSQL") }
                let first = try await sync(d)
                #expect(first.channels.map(\.ok) == [true] && first.channels[0].templates == 4 && first.channels[0].requests == 2)
                #expect(sandbox.state.templateListRequests() == 2)
                let (_, body) = try await d.get("/v1/templates?channel=main")
                let list = try JSONDecoder().decode(TemplatesDocument.self, from: Data(body)).templates
                #expect(list.map(\.name) == ["login_code", "order_update", "spring_sale", "welcome"])
                let sale = try #require(list.first { $0.name == "spring_sale" })
                #expect(sale.category == "marketing" && sale.header?.format == "image" && sale.bodyParameters == 1 && sale.parameters == "header:image body:1")
                let stats = try #require(try await d.channels().channels.first?.templates)
                #expect(stats.count == 4 && stats.paused == 0 && stats.syncedAt != nil && stats.lastError == nil)
                // The budget has one request left; a sync needs two: it stops, and the catalog stays.
                let (status, refused) = try await d.post("/v1/templates/sync", json: "")
                #expect(status == 429, "\(String(decoding: refused, as: UTF8.self))")
                #expect(try await d.channels().channels.first?.templates?.lastError?.contains("hourly budget") == true)
                #expect(try await d.channels().channels.first?.templates?.count == 4)
            }
        }
    }

    @Test("the background sync runs at start and again every sync_interval (injected clock)", arguments: Self.engines)
    func backgroundSync(engine: String) async throws {
        let clock = ManualClock()
        try await withSandbox { sandbox, url in
            try await withDaemon(config(url, engine) { $0.templates.syncIntervalMillis = 3_600_000 }, dir: dir, clock: clock) { d in
                let started = try await eventually(timeoutSeconds: 30) { sandbox.state.templateListRequests() == 1 }
                #expect(started)
                #expect(try await eventually(timeoutSeconds: 30) { try await d.channels().channels.first?.templates?.count == 4 })
                sandbox.state.setCatalog(.generated(7))
                clock.advance(byMillis: 59 * 60_000)
                #expect(sandbox.state.templateListRequests() == 1, "not before the interval")
                clock.advance(byMillis: 2 * 60_000)
                #expect(try await eventually(timeoutSeconds: 30) { try await d.channels().channels.first?.templates?.count == 7 })
                #expect(sandbox.state.templateListRequests() == 2)
            }
        }
    }

    @Test("with a synced catalog, what cannot succeed is 422 invalid_template with the field, in single and batch submissions and CSV rows; without one nothing is refused", arguments: Self.engines)
    func checks(engine: String) async throws {
        try await withSandbox { _, url in
            try await withDaemon(config(url, engine), dir: dir) { d in
                #expect(try await submit(d, Self.order("+4915100000001", params: 1)).status == 202, "no catalog yet: not refused")
                _ = try await sync(d)
                let count = try await submit(d, Self.order("+4915100000002", params: 1))
                #expect(count.status == 422 && count.error?.error.code == .invalidTemplate)
                #expect(count.error?.error.field == "message.template.components.0.parameters")
                let unknown = try await submit(d, #"{"channel":"main","to":"+4915100000003","message":{"type":"template","template":{"name":"nope","language":{"code":"en"}}}}"#)
                #expect(unknown.error?.error.field == "message.template.name")
                let lang = try await submit(d, #"{"channel":"main","to":"+4915100000003","message":{"type":"template","template":{"name":"welcome","language":{"code":"de"}}}}"#)
                #expect(lang.error?.error.field == "message.template.language.code")
                let header = Self.sale("+4915100000004").replacingOccurrences(of: #"{"type":"image","image":{"link":"https://x.example/a.png"}}"#,
                                                                              with: #"{"type":"document","document":{"link":"https://x.example/a.pdf"}}"#)
                #expect(try await submit(d, header).error?.error.field == "message.template.components.0.parameters.0.type")
                #expect(try await submit(d, Self.order("+4915100000005")).status == 202)
                let batch = Self.order("+4915100000006") + "\n" + Self.order("+4915100000007", params: 3)
                let (_, body) = try await d.client.call(.POST, "/v1/messages/batch", body: Array(batch.utf8))
                let results = try JSONDecoder().decode(BatchResponse.self, from: Data(body))
                #expect(results.accepted == 1 && results.rejected == 1 && results.results[1].error?.code == .invalidTemplate)
            }
        }
    }

    @Test("a paused template holds its messages (132015 answer and status webhook), visible with reason and until; others go on; APPROVED releases them", arguments: Self.engines)
    func paused(engine: String) async throws {
        try await withSandbox { sandbox, url in
            try await withDaemon(config(url, engine), dir: dir) { d in
                try await connect(sandbox, d)
                _ = try await sync(d)
                // Meta pauses it before the daemon hears: the first send draws a 132015.
                var catalog = SandboxCatalog.standard
                for i in catalog.templates.indices where catalog.templates[i].name == "order_update" { catalog.templates[i].status = "PAUSED" }
                sandbox.state.setCatalog(catalog)
                let first = try #require(try await submit(d, Self.order("+4915100000011")).id)
                let m = try await d.waitFor(first, in: [.queued, .failed])
                _ = try await eventually(timeoutSeconds: 30) { try await d.message(first).held != nil }
                let held = try await d.message(first)
                #expect(held.state == .queued && held.attempts?.last?.errorCode == 132015, "not failed: it waits for the pause")
                let until = try #require(held.held.flatMap { RFC3339.parse($0.until) })
                #expect(until > nowMillis + 2 * Self.hour && until <= nowMillis + 3 * Self.hour)
                #expect(held.held?.reason.contains("paused") == true)
                _ = m
                // New ones wait from the start; another template goes on.
                let second = try #require(try await submit(d, Self.order("+4915100000012")).id)
                #expect(try await d.message(second).held != nil)
                let other = try #require(try await submit(d, #"{"channel":"main","to":"+4915100000013","message":{"type":"template","template":{"name":"welcome","language":{"code":"en"}}}}"#).id)
                try await d.waitFor(other, in: [.sent, .delivered, .read])
                #expect(try await d.channels().channels.first?.templates?.paused == 1)
                // Approved again (the status webhook): both leave.
                sandbox.state.setTemplateStatus("APPROVED", name: "order_update")
                try await d.waitFor(first, in: [.sent, .delivered, .read])
                try await d.waitFor(second, in: [.sent, .delivered, .read])
                let changes = try await events(d, "status_changed")
                #expect(changes.contains { $0["status"]?.stringValue == "PAUSED" } && changes.contains { $0["status"]?.stringValue == "APPROVED" })
            }
        }
    }

    @Test("a PAUSED webhook holds queued messages, DISABLED fails them with the reason; a disabled template is then refused at the door", arguments: Self.engines)
    func disabled(engine: String) async throws {
        try await withSandbox { sandbox, url in
            try await withDaemon(config(url, engine), dir: dir) { d in
                try await connect(sandbox, d)
                _ = try await sync(d)
                sandbox.state.setTemplateStatus("PAUSED", name: "order_update", hint: "FIRST_PAUSE")
                let pausedSeen = try await eventually(timeoutSeconds: 30) { try await d.channels().channels.first?.templates?.paused == 1 }
                #expect(pausedSeen)
                let queued = try #require(try await submit(d, Self.order("+4915100000021")).id)
                #expect(try await d.message(queued).held != nil)
                sandbox.state.setTemplateStatus("DISABLED", name: "order_update")
                let failed = try await d.waitFor(queued, in: [.failed])
                #expect(failed.lastError?.contains("disabled") == true)
                #expect(failed.attempts?.isEmpty ?? true, "no request was spent on it")
                let refusedSeen = try await eventually(timeoutSeconds: 30) { try await status(d, Self.order("+4915100000022")) == 422 }
                #expect(refusedSeen)
                let refused = try await submit(d, Self.order("+4915100000022"))
                let message = refused.error?.error.message ?? ""
                #expect(message.contains("DISABLED"))
            }
        }
    }

    @Test("opt-outs: user_preferences stop and a STOP keyword put the customer on the list (events), marketing is refused 422 opted_out and queued marketing fails; resume takes them off; imports reject opted-out rows", arguments: Self.engines)
    func optOuts(engine: String) async throws {
        try await withSandbox { sandbox, url in
            try await withDaemon(config(url, engine) { $0.marketing.optOutWords = OptOutWords(keywords: ["STOP"]) }, dir: dir) { d in
                try await connect(sandbox, d)
                _ = try await sync(d)
                let later = RFC3339.format(millis: nowMillis + Self.hour)
                let queued = try #require(try await submit(d, Self.sale("+4915100000031", extra: #","not_before":"\#(later)""#)).id)
                try sandbox.state.simulatePreference(key: "key-main", waID: "4915100000031", value: "stop")
                let failed = try await d.waitFor(queued, in: [.failed])
                #expect(failed.lastError?.contains("opted out") == true && (failed.attempts?.isEmpty ?? true))
                let refused = try await submit(d, Self.sale("+4915100000031"))
                #expect(refused.status == 422 && refused.error?.error.code == .optedOut && refused.error?.error.field == "to")
                #expect(try await submit(d, Self.order("+4915100000031")).status == 202, "utility templates still go")
                let (_, body) = try await d.get("/v1/optouts?channel=main")
                let list = try JSONDecoder().decode(OptOutsDocument.self, from: Data(body)).optouts
                #expect(list.map(\.to) == ["+4915100000031"] && list[0].source == "user_preferences")
                // A keyword.
                try sandbox.state.simulateInbound(key: "key-main", from: "4915100000032", text: "stop")
                #expect(try await eventually(timeoutSeconds: 30) { try await status(d, Self.sale("+4915100000032")) == 422 })
                #expect(try await events(d, "opted_out").count == 2)
                // Resume.
                try sandbox.state.simulatePreference(key: "key-main", waID: "4915100000031", value: "resume")
                #expect(try await eventually(timeoutSeconds: 30) { try await status(d, Self.sale("+4915100000031")) == 202 })
                #expect(try await events(d, "opted_in").count == 1)
                // An import: the opted-out row is rejected by row.
                let batch = Self.sale("+4915100000032") + "\n" + Self.sale("+4915100000033")
                let (_, b) = try await d.client.call(.POST, "/v1/messages/batch", body: Array(batch.utf8))
                let results = try JSONDecoder().decode(BatchResponse.self, from: Data(b))
                #expect(results.results.map { $0.error?.code } == [.optedOut, nil])
            }
        }
    }

    @Test("a 131050 answer opts the customer out; after a 131049 marketing to that recipient waits 24 h while utility goes; +1 marketing is refused when configured", arguments: Self.engines)
    func marketingErrors(engine: String) async throws {
        let faults = SandboxFaults(recipients: [RecipientFault(to: "+4915100000041", code: 131050, times: 1),
                                                RecipientFault(to: "+4915100000042", code: 131049, times: 1)])
        try await withSandbox(faults: faults) { _, url in
            try await withDaemon(config(url, engine) { $0.marketing.policy.refuseUSNumbers = true }, dir: dir) { d in
                _ = try await sync(d)
                let a = try #require(try await submit(d, Self.sale("+4915100000041")).id)
                try await d.waitFor(a, in: [.failed])
                #expect(try await eventually(timeoutSeconds: 30) { try await status(d, Self.sale("+4915100000041")) == 422 })
                let b = try #require(try await submit(d, Self.sale("+4915100000042")).id)
                try await d.waitFor(b, in: [.failed])
                let next = try #require(try await submit(d, Self.sale("+4915100000042")).id)
                let held = try await d.message(next)
                let until = try #require(held.held.flatMap { RFC3339.parse($0.until) })
                #expect(until > nowMillis + 23 * Self.hour && held.held?.reason.contains("131049") == true)
                let utility = try #require(try await submit(d, Self.order("+4915100000042")).id)
                try await d.waitFor(utility, in: [.sent, .delivered, .read])
                let us = try await submit(d, Self.sale("+14155550100"))
                #expect(us.status == 422 && us.error?.error.code == .marketingNotDelivered)
                #expect(try await submit(d, Self.order("+14155550100")).status == 202)
            }
        }
    }
}
