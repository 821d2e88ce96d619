import OutboxCore
import OutboxStore

/// Counting where things happen: a submission committed, a request answered, a webhook answered.
extension OutboxMetrics {
    /// A group commit of submissions: new messages per channel and priority (duplicates and
    /// conflicts stored nothing), and how long the commit took.
    func committed(_ submissions: [Submission], _ results: [SubmitResult], nanos: Int64) {
        timer(Series.submitCommit).recordNanoseconds(nanos)
        // Counted by runs of one channel and priority (a batch is mostly one run), so a row
        // costs a comparison, not a hash, on the one writer's path.
        var created: [ChannelPriority: Int] = [:]
        var run: (key: ChannelPriority, count: Int)?
        for i in submissions.indices where i < results.count {
            guard case .created = results[i] else { continue }
            if let r = run, r.key.priority == submissions[i].priority, r.key.channel == submissions[i].channel {
                run!.count += 1
                continue
            }
            if let r = run { created[r.key, default: 0] += r.count }
            run = (ChannelPriority(channel: submissions[i].channel, priority: submissions[i].priority), 1)
        }
        if let r = run { created[r.key, default: 0] += r.count }
        for (key, n) in created {
            counter(Series.accepted, ["channel": key.channel, "priority": key.priority.rawValue]).increment(by: n)
        }
    }

    /// This daemon took, released or lost a channel's lease (a handover, seen from here).
    func leaseChange(channel: String, change: String) {
        counter(Series.leaseChanges, ["channel": channel, "change": change]).increment()
    }

    /// One request to the API and what the policy decided.
    func attempt(channel: String, result: SendResult, decision: SendDecision, nanos: Int64) {
        let errorClass = Self.errorClass(result)
        counter(Series.attempts, ["channel": channel, "outcome": result.outcome.rawValue, "error_class": errorClass]).increment()
        timer(Series.sendDuration, ["channel": channel]).recordNanoseconds(nanos)
        switch decision {
        case .sent: counter(Series.sent, ["channel": channel]).increment()
        case .fail: counter(Series.failed, ["channel": channel, "error_class": errorClass]).increment()
        case .retry, .awaitSettlement, .pauseChannel: break
        }
    }

    /// An API answer's attempt committed to the audit trail, `nanos` after the answer came:
    /// the window in which a crash would lose the answer and resend.
    func answerCommitted(nanos: Int64) {
        timer(Series.answerToCommit).recordNanoseconds(nanos)
    }

    /// A webhook delivery answered by the receiver. `channel` is nil when the path named no
    /// configured channel (it is counted as `unknown`, never by the name it gave).
    func webhook(channel: String?, status: Int, nanos: Int64) {
        let outcome = switch status {
        case 200..<300: "stored"
        case 401, 403: "unauthorized"
        case 500...: "unavailable"
        default: "rejected"
        }
        counter(Series.webhooks, ["channel": channel ?? "unknown", "outcome": outcome]).increment()
        timer(Series.webhookAnswer).recordNanoseconds(nanos)
    }

    /// A message priced by a status (once per message): by category and whether it is billable.
    func priced(channel: String, category: String, billable: Bool) {
        // The category is the API's word: bounded to the known ones so a payload cannot grow the series.
        let known: Set<String> = ["marketing", "marketing_lite", "utility", "authentication", "authentication_international", "service",
                                  "referral_conversion"]
        counter(Series.priced, ["channel": channel, "category": known.contains(category) ? category : "other",
                                "billable": billable ? "true" : "false"]).increment()
    }

    /// `none` for an accepted request, `unknown` for one without an answer, `not_reached` for
    /// one that never left (no connection), else the class
    /// the error table gave the error.
    static func errorClass(_ result: SendResult) -> String {
        switch result {
        case .accepted: "none"
        case .unknown: "unknown"
        case .notReached: "not_reached"
        case .failed(_, let meaning, _): meaning.errorClass.rawValue
        }
    }

    private struct ChannelPriority: Hashable {
        var channel: String
        var priority: Priority
    }
}
