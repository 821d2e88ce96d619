import Foundation
import Hummingbird
import NIOCore
import OutboxAPI
import OutboxCore
import OutboxStore

/// `/v1/messages`: submission (single and NDJSON batch), status, list and cancel.
struct MessagesController: Sendable {
    let store: any OutboxStore
    let submitQueue: SubmitQueue
    /// The channels configured now (a reload changes them).
    let registry: Channels
    let limits: SubmissionLimits
    let defaultTTLMillis: [Priority: Int64]
    let clock: any OutboxClock
    /// Applies stored webhook payloads not processed yet, before a window is judged closed.
    var inbox: InboxProcessor?
    /// The channels' synced template catalogs (nil: no template checks).
    var catalogs: TemplateCatalogs?
    var marketing = MarketingPolicy()
    /// Turns staged import rows into messages; rung when the rows endpoint stored some.
    var expander: StagingExpander?

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.post("messages", use: submit)
        group.post("messages/batch", use: batch)
        group.post("imports/:id/rows", use: importRows)
        group.get("messages", use: list)
        group.get("messages/by-wamid/:wamid", use: byWamid)
        group.get("messages/:id", use: get)
        group.delete("messages/:id", use: cancel)
    }

    var channelNames: Set<String> { registry.names }

    @Sendable func submit(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            let bytes = try await Self.body(request, limit: limits.maxRequestBytes)
            let submission = try await admit(try SubmissionParser.parse(line: bytes[...], channels: channelNames, nowMillis: clock.nowMillis()))
            let result = try await store(submission)
            switch result {
            case .created(let id):
                return JSONResponse.make(bytes: SubmitResponse(id: String(id), state: .queued).jsonBytes, status: .accepted)
            case .duplicate(let id, let state):
                return JSONResponse.make(bytes: SubmitResponse(id: String(id), state: state, duplicate: true).jsonBytes, status: .ok)
            case .conflict(let id):
                return JSONResponse.error(.conflict, "idempotency_key '\(submission.idempotencyKey ?? "")' was already used on channel '\(submission.channel)' for different content (message \(id))", field: "idempotency_key")
            }
        } catch let e as APIErrorBody {
            return JSONResponse.error(e)
        }
    }

    /// The scheduler's rules at the door: the default time-to-live of the priority, and the
    /// 24-hour window for free-form messages on channels that enforce it. `templateVerdict`
    /// is the catalog's verdict when the caller has it already (an import row's shape).
    func admit(_ submission: Submission, templateVerdict: TemplateVerdict? = nil) async throws -> Submission {
        var s = submission
        if s.expiresAtMillis == nil, let ttl = defaultTTLMillis[s.priority] {
            s.expiresAtMillis = TimeMath.add(max(clock.nowMillis(), s.notBeforeMillis ?? 0), ttl)
        }
        if s.isTemplate, let catalogs {
            var verdict = templateVerdict
            if verdict == nil {
                // A catalog never synced refuses nothing (`TemplateCheck` says so too): the
                // message's tree, which a fast-path line's submission reads back from its
                // payload, is read only when there is a catalog to check it against.
                let catalog = catalogs.catalog(s.channel)
                verdict = catalog.syncedMillis == nil ? .unchecked : TemplateCheck.check(s.message, catalog: catalog)
            }
            try await checkTemplate(&s, verdict: verdict!)
        }
        if let rules = registry.runtime(named: s.channel)?.config.rules, rules.enforceWindow, !s.isTemplate {
            var state: RecipientState?
            do {
                state = try await store.recipientState(channel: s.channel, recipient: s.recipient.e164)
                if !rules.windowOpen(state, nowMillis: clock.nowMillis()), let inbox, try await inbox.applyPending() > 0 {
                    // The customer's message may have come through the webhook receiver (answered,
                    // not processed yet): judge with what is pending applied.
                    state = try await store.recipientState(channel: s.channel, recipient: s.recipient.e164)
                }
            } catch {
                throw APIErrorBody(.unavailable, "\(error)")
            }
            if !rules.windowOpen(state, nowMillis: clock.nowMillis()) {
                throw APIErrorBody(.windowClosed, "\(s.recipient) has not written to channel '\(s.channel)' in the last 24 hours: only a template message can reach them (the channel enforces the window; set enforce_window = false to leave it to the API)", field: "message.type")
            }
        }
        return s
    }

    private func store(_ submission: Submission) async throws -> SubmitResult {
        let results = try await commit([submission])
        return results[0]
    }

    /// Commits through the group-commit queue, then wakes the channels that got work.
    func commit(_ submissions: [Submission]) async throws -> [SubmitResult] {
        do {
            let results = try await submitQueue.submit(submissions)
            // Wake the channels that got work due now; scheduled messages wake them when due.
            let now = clock.nowMillis()
            var due = Set<String>()
            var last: String?
            for s in submissions.indices where (submissions[s].notBeforeMillis ?? 0) <= now && submissions[s].channel != last {
                last = submissions[s].channel
                due.insert(submissions[s].channel)
            }
            registry.wake(due)
            return results
        } catch let e as StoreError {
            throw APIErrorBody(.unavailable, "nothing was stored: \(e)")
        } catch {
            throw APIErrorBody(.unavailable, "nothing was stored: \(error)")
        }
    }

    @Sendable func batch(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            let bytes = try await Self.body(request, limit: limits.maxBatchBytes)
            var results: [BatchResponse.LineResult] = []
            // The accepted lines' numbers and submissions side by side: the submissions go to
            // the store as they are, not copied out of pairs.
            var validLines: [Int] = []
            var valid: [Submission] = []
            let now = clock.nowMillis()
            let channels = channelNames
            var lineNumber = 0
            for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
                if results.count + valid.count >= limits.maxBatchLines {
                    throw APIErrorBody(.bodyTooLarge, "a batch holds at most \(limits.maxBatchLines) lines; split it")
                }
                do {
                    // One line is one submission: it gets the single submission's cap.
                    guard line.count <= limits.maxRequestBytes else {
                        throw APIErrorBody(.bodyTooLarge, "the line is larger than max_request_bytes (\(limits.maxRequestBytes) bytes)")
                    }
                    // The common line takes the fast path; any other, and every error, the slow one.
                    valid.append(try await admit(try SubmissionParser.parse(line: line, channels: channels, nowMillis: now)))
                    validLines.append(lineNumber)
                } catch let e as APIErrorBody {
                    results.append(.init(line: lineNumber, error: e.error))
                }
            }
            if valid.isEmpty, results.isEmpty { throw APIErrorBody(.invalidJSON, "the batch is empty: send one JSON submission per line") }
            let stored = valid.isEmpty ? [] : try await commit(valid)
            let sorted = results.isEmpty
            results.reserveCapacity(results.count + stored.count)
            for (line, outcome) in zip(validLines, stored) {
                switch outcome {
                case .created(let id): results.append(.init(line: line, id: String(id), duplicate: false))
                case .duplicate(let id, _): results.append(.init(line: line, id: String(id), duplicate: true))
                case .conflict(let id):
                    results.append(.init(line: line, error: Self.keyConflict(id).error))
                }
            }
            // Without a refused line the results are in line order already.
            if !sorted { results.sort { $0.line < $1.line } }
            let accepted = results.filter { $0.error == nil }.count
            return JSONResponse.make(bytes: BatchResponse(accepted: accepted, rejected: results.count - accepted, results: results).jsonBytes)
        } catch let e as APIErrorBody {
            return JSONResponse.error(e)
        }
    }

    /// A batch line or import row whose key was used before for other content.
    static func keyConflict(_ id: Int64) -> APIErrorBody {
        // Id 0: a staged import row (not a message yet) holds the key.
        APIErrorBody(.conflict, "idempotency_key already used for different content (\(id == 0 ? "a staged row of the import" : "message \(id)"))", field: "idempotency_key")
    }

    @Sendable func get(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id").flatMap({ Int64($0) }) else {
            return JSONResponse.error(.notFound, "no message with this id")
        }
        return try await timeline { try await store.timeline(id: id) }
    }

    @Sendable func byWamid(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let wamid = context.parameters.get("wamid") ?? ""
        return try await timeline { try await store.timeline(wamid: wamid) }
    }

    private func timeline(_ fetch: () async throws -> MessageTimeline?) async throws -> Response {
        do {
            guard let t = try await fetch() else { return JSONResponse.error(.notFound, "no such message") }
            return JSONResponse.make(Documents.message(t))
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let q = request.uri.queryParameters
        var filter = MessageFilter()
        if let s = q.get("state"), !s.isEmpty {
            guard let state = MessageState(rawValue: s) else {
                return JSONResponse.error(.invalidField, "unknown state '\(s)'; use one of \(MessageState.allCases.map(\.rawValue).joined(separator: ", "))", field: "state")
            }
            filter.state = state
        }
        if let c = q.get("channel"), !c.isEmpty { filter.channel = c }
        if let to = q.get("to"), !to.isEmpty {
            do { filter.recipient = try Recipient(parsing: to).e164 } catch { return JSONResponse.error(.invalidField, error.message, field: "to") }
        }
        if let i = q.get("import_id"), !i.isEmpty { filter.importID = i }
        if let l = q.get("limit"), !l.isEmpty {
            guard let n = Int(l), (1...1000).contains(n) else { return JSONResponse.error(.invalidField, "must be 1 to 1000", field: "limit") }
            filter.limit = n
        }
        if let c = q.get("cursor"), !c.isEmpty {
            guard let before = Int64(c) else { return JSONResponse.error(.invalidField, "not a cursor from a previous page", field: "cursor") }
            filter.beforeID = before
        }
        do {
            let page = try await store.list(filter)
            let docs = page.messages.map { Documents.message($0) }
            return JSONResponse.make(ListPage(messages: docs, nextCursor: page.more ? page.messages.last.map { String($0.id) } : nil))
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }

    @Sendable func cancel(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id").flatMap({ Int64($0) }) else {
            return JSONResponse.error(.notFound, "no message with this id")
        }
        do {
            let (cancelled, state) = try await store.cancel(id: id, nowMillis: clock.nowMillis())
            guard cancelled else {
                return JSONResponse.error(.conflict, "message \(id) is \(state.rawValue); only a queued message can be cancelled")
            }
            return JSONResponse.make(SubmitResponse(id: String(id), state: .cancelled))
        } catch StoreError.notFound {
            return JSONResponse.error(.notFound, "no message with id \(id)")
        } catch {
            return JSONResponse.error(.unavailable, "\(error)")
        }
    }

    /// Reads the whole body, refusing more than `limit` bytes.
    static func body(_ request: Request, limit: Int) async throws -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIErrorBody(.bodyTooLarge, "the body is larger than \(limit) bytes")
        } catch {
            throw APIErrorBody(.invalidJSON, "could not read the body: \(error)")
        }
    }

    /// Parses one JSON document, telling invalid UTF-8 apart from malformed JSON.
    static func decode(_ bytes: ArraySlice<UInt8>) throws -> JSONValue {
        try SubmissionParser.decode(bytes)
    }
}
