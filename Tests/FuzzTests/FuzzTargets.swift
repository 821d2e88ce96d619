import CSVImport
import OutboxAPI
import OutboxCore
import WhatsApp

/// The parsers that read what comes from outside, each as one fuzz target: any input must
/// come back as a value or an error, never a trap, and what comes back must keep the
/// parser's promises. Shared by the in-suite run (`FuzzTests`) and the libFuzzer campaign
/// (`scripts/fuzz`, which compiles this file with the parsers' sources): a target returns a
/// description of a broken promise, or nil.
public enum FuzzTargets {
    public static let names = ["json", "submission", "webhook", "csv", "rows"]

    /// Runs target `name` on one input.
    public static func run(_ name: String, _ input: [UInt8]) -> String? {
        switch name {
        case "json": json(input)
        case "submission": submission(input)
        case "webhook": webhook(input)
        case "csv": csv(input)
        case "rows": rows(input)
        default: "no fuzz target named \(name)"
        }
    }

    /// 2026-11-21, the clock of every target.
    static let now: Int64 = 1_795_219_200_000

    /// A document that parses writes back canonically, and that text parses again and
    /// writes back to the same bytes (the idempotency check compares those bytes).
    public static func json(_ input: [UInt8]) -> String? {
        guard let value = try? JSONParser.parse(input) else { return nil }
        let bytes = value.canonicalBytes
        guard let again = try? JSONParser.parse(bytes) else { return "canonical text does not parse again: \(String(decoding: bytes.prefix(200), as: UTF8.self))" }
        return again.canonicalBytes == bytes ? nil : "canonical text reads back different: \(String(decoding: bytes.prefix(200), as: UTF8.self))"
    }

    /// A submission that is accepted keeps every bound: times within the horizon, a key of
    /// at most 256 bytes, a known channel.
    /// And a line the fast path answers (`SubmissionParser.parseFast`) is one the slow path
    /// accepts, with the same submission byte for byte.
    public static func submission(_ input: [UInt8]) -> String? {
        let channels: Set<String> = ["main", "other"]
        let fast = input.withUnsafeBufferPointer { SubmissionParser.parseFast($0, channels: channels, nowMillis: now) }
        let s: Submission
        do {
            s = try SubmissionParser.parse(try SubmissionParser.decode(input[...]), channels: channels, nowMillis: now)
        } catch {
            if fast != nil { return "the fast path accepted a line the slow path refuses: \(error.error.message)" }
            return error.error.message.isEmpty ? "an error without a message" : nil
        }
        if let f = fast {
            func b(_ s: String?) -> [UInt8]? { s.map { Array($0.utf8) } }
            guard f == s, b(f.payload) == b(s.payload), b(f.channel) == b(s.channel), b(f.recipient.e164) == b(s.recipient.e164),
                  b(f.idempotencyKey) == b(s.idempotencyKey), b(f.importID) == b(s.importID), b(f.templateName) == b(s.templateName),
                  b(f.templateLanguage) == b(s.templateLanguage), f.message == s.message
            else { return "the fast path's submission is not the slow path's: \(f.payload) against \(s.payload)" }
        }
        let latest = now + TimeBounds.horizonMillis
        if let t = s.notBeforeMillis, t > latest { return "not_before beyond the horizon was accepted" }
        if let t = s.expiresAtMillis, t > latest || t <= now { return "expires_at out of bounds was accepted" }
        if let k = s.idempotencyKey, k.utf8.count > 256 || k.isEmpty { return "an idempotency key out of bounds was accepted" }
        if !["main", "other"].contains(s.channel) { return "an unknown channel was accepted" }
        _ = s.message.canonicalText
        return nil
    }

    /// A rows body of an import (`POST /v1/imports/{id}/rows`): refused whole with a message,
    /// or read into rows whose numbers rise, each refused with a reason or made into a
    /// submission of the import's channel and import, keyed, with every bound kept; and each
    /// row exactly as the mapper's slow path (the reference) makes it.
    public static func rows(_ input: [UInt8]) -> String? {
        let rows: [RowsBody.Row]
        do {
            rows = try RowsBody.read(input, importID: "feed", channel: "main", template: "order", language: "en", maxRows: 10_000, nowMillis: now).rows
        } catch {
            return error.error.message.isEmpty ? "an error without a message" : nil
        }
        guard let reference = try? RowsBody.read(input, importID: "feed", channel: "main", template: "order", language: "en", maxRows: 10_000,
                                                 nowMillis: now, reference: true).rows, reference.count == rows.count
        else { return "the slow path reads the body otherwise" }
        for (r, s) in zip(rows, reference) {
            switch (r.outcome, s.outcome) {
            case (.success(let a), .success(let b)):
                if a != b || a.payload != b.payload || a.message != b.message { return "row \(r.row): the fast path's submission is not the slow path's" }
            case (.failure(let a), .failure(let b)):
                if a.description != b.description { return "row \(r.row): refused for another reason than the slow path's" }
            default:
                return "row \(r.row): accepted by one path and refused by the other"
            }
        }
        var last = 1
        let latest = now + TimeBounds.horizonMillis
        for r in rows {
            if r.row <= last { return "row \(r.row) after row \(last)" }
            last = r.row
            switch r.outcome {
            case .failure(let problem):
                if problem.description.isEmpty { return "a row refused without a reason" }
            case .success(let s):
                if s.channel != "main" || s.importID != "feed" { return "a row of another channel or import" }
                guard let key = s.idempotencyKey, !key.isEmpty, key.utf8.count <= 256 else { return "a row without a bounded key" }
                if let t = s.notBeforeMillis, t > latest { return "not_before beyond the horizon was accepted" }
                if let t = s.expiresAtMillis, t > latest || t <= now { return "expires_at out of bounds was accepted" }
                if s.payload != s.message.canonicalText { return "the payload is not the message's canonical text" }
            }
        }
        return nil
    }

    /// A webhook payload: parsed or refused with a reason; every timestamp it yields is a
    /// whole number of seconds, and bounding it against our clock never traps.
    public static func webhook(_ input: [UInt8]) -> String? {
        guard let payload = try? WebhookPayload.parse(input) else { return nil }
        let times = payload.statuses.map(\.timestampMillis) + payload.inbound.map(\.timestampMillis)
        for t in times.compactMap({ $0 }) {
            if t % 1000 != 0 { return "a timestamp that is not whole seconds: \(t)" }
            let bounded = TimeBounds.webhookTimestamp(t, nowMillis: now) ?? now
            if bounded > now + TimeBounds.webhookFutureSkewMillis { return "a far-future timestamp was not clamped" }
            _ = RecipientRules().windowOpen(RecipientState(lastInboundMillis: bounded), nowMillis: now)
        }
        return nil
    }

    /// CSV: the same records whatever the chunk size; every field, record and field count
    /// within the caps; rows numbered one after another.
    public static func csv(_ input: [UInt8]) -> String? {
        func records(chunk: Int) -> Result<[CSVRecord], ImportError> {
            let reader = CSVRecordReader(bytes: input, chunkSize: chunk)
            var out: [CSVRecord] = []
            do {
                while let r = try reader.next() { out.append(r) }
            } catch {
                return .failure(error)
            }
            return .success(out)
        }
        let big = records(chunk: 64 << 10)
        let small = records(chunk: 3)
        guard case .success(let a) = big else {
            if case .success = small { return "a chunk size changed whether the file reads" }
            return nil
        }
        guard case .success(let b) = small else { return "a chunk size changed whether the file reads" }
        if a != b { return "records differ with the chunk size" }
        for (i, r) in a.enumerated() {
            if r.row != i + 1 { return "row numbers skip: \(r.row) at index \(i)" }
            if r.fields.count > CSVRecordReader.maxFields { return "more fields than the cap" }
            if r.fields.contains(where: { $0.count > CSVRecordReader.maxFieldBytes }) { return "a field over the cap" }
            if r.fields.reduce(0, { $0 + $1.count }) > CSVRecordReader.maxRecordBytes { return "a record over the cap" }
        }
        return nil
    }
}
