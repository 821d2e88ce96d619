import OutboxCore
import Testing

/// The claim's rules without a database: a page of candidates in, decisions out.
@Suite("Claim planner")
struct ClaimPlannerTests {
    let now: Int64 = 1_800_000_000_000
    let day: Int64 = 86_400_000

    /// A candidate that is its recipient's earliest due message, with no open request.
    func row(_ id: Int64, to recipient: String, type: String = "template", expires: Int64? = nil, body: Bool = true,
             state: RecipientState? = nil, first: Int64?? = .none, open: Bool = false) -> ClaimCandidate {
        ClaimCandidate(message: ClaimMessage(id: id, recipient: recipient, type: type, expiresMillis: expires, hasBody: body),
                       recipient: state, firstID: first ?? id, open: open)
    }

    /// Drives the planner over one page as a store does (answering reach questions from
    /// `reached`, with `used` as the portfolio's count), returning each row's decision.
    func run(_ planner: inout ClaimPlanner, _ rows: [ClaimCandidate], earliest: [Int64: ClaimMessage] = [:],
             used: Int = 0, reached: [String: Int64] = [:]) -> [Int64: ClaimDecision] {
        var out: [Int64: ClaimDecision] = [:]
        for c in rows where !planner.isFull {
            let m: ClaimMessage
            switch planner.screen(c) {
            case .skip: continue
            case .judge: m = c.message
            case .readEarliest:
                guard let e = earliest[c.id] else { continue }
                m = e
            }
            var d = planner.judge(m, recipient: c.recipient)
            if case .askReach(let q) = d { d = planner.answer(q, used: q.needsUsed ? used : nil, reachedMillis: reached[q.recipient]) }
            out[m.id] = d
        }
        return out
    }

    @Test("takes due messages up to the limit, one per recipient")
    func onePerRecipient() {
        var p = ClaimPlanner(limit: 2, nowMillis: now)
        let d = run(&p, [row(1, to: "a"), row(2, to: "a", first: 1), row(3, to: "b"), row(4, to: "c")])
        #expect(d == [1: .take(recordReach: false), 3: .take(recordReach: false)])
        #expect(p.isFull && p.taken == 2)
        #expect(p.nextPageSize() == nil)
    }

    @Test("a held recipient (no lookups) or one with a request open is skipped, with its later messages; others go")
    func heldAndOpen() {
        var p = ClaimPlanner(limit: 10, nowMillis: now)
        let held = RecipientState(nextSendMillis: now + 1)
        let d = run(&p, [row(1, to: "a", state: held, first: .some(nil)), row(2, to: "a", state: held, first: .some(nil)),
                         row(3, to: "b", open: true), row(4, to: "b", open: true), row(5, to: "c")])
        #expect(d == [5: .take(recordReach: false)])
    }

    @Test("a pacing hold the page query did not see still waits, and holds the recipient's later messages")
    func holdWaits() {
        var p = ClaimPlanner(limit: 10, nowMillis: now)
        let held = RecipientState(nextSendMillis: now + 500)
        let d = run(&p, [row(1, to: "a", state: held), row(2, to: "a", state: held, first: 1)])
        #expect(d == [1: .wait])
    }

    @Test("a row that is not its recipient's earliest is replaced by the earliest, read afresh; none left: skipped")
    func readsEarliest() {
        var p = ClaimPlanner(limit: 10, nowMillis: now)
        let earlier = ClaimMessage(id: 1, recipient: "a", type: "template")
        let d = run(&p, [row(5, to: "a", first: 1), row(6, to: "b", first: 2)], earliest: [5: earlier])
        #expect(d == [1: .take(recordReach: false)])
    }

    @Test("an expired message expires and frees its recipient for the next one in the same claim")
    func expiry() {
        var p = ClaimPlanner(limit: 10, nowMillis: now)
        let next = ClaimMessage(id: 2, recipient: "a", type: "template")
        let d = run(&p, [row(1, to: "a", expires: now), row(2, to: "a", first: 1)], earliest: [2: next])
        #expect(d == [1: .expire(reason: ClaimPlanner.expiredReason), 2: .take(recordReach: false)])
        // Not yet expired: it goes.
        var q = ClaimPlanner(limit: 10, nowMillis: now)
        #expect(run(&q, [row(3, to: "a", expires: now + 1)]) == [3: .take(recordReach: false)])
    }

    @Test("an erased body fails without a request")
    func erased() {
        var p = ClaimPlanner(limit: 10, nowMillis: now)
        #expect(run(&p, [row(1, to: "a", body: false)]) == [1: .fail(reason: ClaimPlanner.erasedReason)])
        #expect(p.taken == 0)
    }

    @Test("free-form outside the window fails; inside it goes; with enforce_window off it goes")
    func window() {
        let open = RecipientState(lastInboundMillis: now - 1_000)
        let stale = RecipientState(lastInboundMillis: now - day)
        var p = ClaimPlanner(limit: 10, nowMillis: now)
        let d = run(&p, [row(1, to: "a", type: "text", state: stale), row(2, to: "b", type: "text", state: open), row(3, to: "c", type: "text")])
        #expect(d == [1: .fail(reason: RecipientRules.windowClosedReason), 2: .take(recordReach: false), 3: .fail(reason: RecipientRules.windowClosedReason)])
        var rules = RecipientRules()
        rules.enforceWindow = false
        var q = ClaimPlanner(limit: 10, nowMillis: now, rules: rules)
        #expect(run(&q, [row(1, to: "a", type: "text", state: stale)]) == [1: .take(recordReach: false)])
    }

    @Test("a number the API called unreachable fails until the hold ends or the customer writes")
    func unreachable() {
        let rules = RecipientRules()
        let since = now - 1_000
        var p = ClaimPlanner(limit: 10, nowMillis: now)
        let d = run(&p, [row(1, to: "a", state: RecipientState(unreachableMillis: since)),
                         row(2, to: "b", state: RecipientState(unreachableMillis: now - rules.unreachableHoldMillis)),
                         row(3, to: "c", state: RecipientState(lastInboundMillis: since + 1, unreachableMillis: since))])
        #expect(d == [1: .fail(reason: rules.unreachableReason(sinceMillis: since)), 2: .take(recordReach: false), 3: .take(recordReach: false)])
    }

    @Test("reach: a template outside the window asks once for the count; new recipients are admitted until the budget is used, then wait")
    func reach() {
        let limit = MessagingLimit(portfolio: "p", tier: 3, share: 1)
        var p = ClaimPlanner(limit: 10, nowMillis: now, reach: limit)
        // The first question asks for the portfolio's count, later ones do not.
        #expect(p.judge(ClaimMessage(id: 1, recipient: "a", type: "template"), recipient: nil)
            == .askReach(ReachQuestion(portfolio: "p", recipient: "a", needsUsed: true)))
        #expect(p.answer(ReachQuestion(portfolio: "p", recipient: "a", needsUsed: true), used: 1, reachedMillis: nil) == .take(recordReach: true))
        #expect(p.judge(ClaimMessage(id: 2, recipient: "b", type: "template"), recipient: nil)
            == .askReach(ReachQuestion(portfolio: "p", recipient: "b", needsUsed: false)))
        #expect(p.answer(ReachQuestion(portfolio: "p", recipient: "b", needsUsed: false), used: nil, reachedMillis: now - 10) == .take(recordReach: false))
        #expect(p.answer(ReachQuestion(portfolio: "p", recipient: "c", needsUsed: false), used: nil, reachedMillis: nil) == .take(recordReach: true))
        #expect(p.reachUsed == 3)
        #expect(p.answer(ReachQuestion(portfolio: "p", recipient: "d", needsUsed: false), used: nil, reachedMillis: nil) == .wait)
        #expect(p.taken == 3)
    }

    @Test("reach: free-form and templates inside an open window do not count; without a limit nothing is asked")
    func reachExempt() {
        let open = RecipientState(lastInboundMillis: now - 1_000)
        var p = ClaimPlanner(limit: 10, nowMillis: now, reach: MessagingLimit(portfolio: "p", tier: 1, share: 1))
        let d = run(&p, [row(1, to: "a", type: "text", state: open), row(2, to: "b", state: open)], used: 1)
        #expect(d == [1: .take(recordReach: false), 2: .take(recordReach: false)])
        #expect(p.reachUsed == nil)
        var q = ClaimPlanner(limit: 10, nowMillis: now)
        #expect(run(&q, [row(1, to: "a")]) == [1: .take(recordReach: false)])
    }

    @Test("reach: a recipient that waits for the budget keeps its later messages waiting (order is kept)")
    func reachWaitHolds() {
        var p = ClaimPlanner(limit: 10, nowMillis: now, reach: MessagingLimit(portfolio: "p", tier: 1, share: 1))
        let d = run(&p, [row(1, to: "a"), row(2, to: "a", first: 1), row(3, to: "b", type: "text", state: RecipientState(lastInboundMillis: now))], used: 1)
        #expect(d == [1: .wait, 3: .take(recordReach: false)])
    }

    @Test("the spam hold keeps normal and bulk out; high too once the limit repeated; none once it ended")
    func spamHold() {
        let first = SpamHold(level: 1, sinceMillis: now - 1, untilMillis: now + 1)
        #expect(ClaimPlanner(limit: 1, nowMillis: now, spamHold: first).priorities == [.high])
        let repeated = SpamHold(level: 2, sinceMillis: now - 1, untilMillis: now + 1)
        #expect(ClaimPlanner(limit: 1, nowMillis: now, spamHold: repeated).priorities.isEmpty)
        let ended = SpamHold(level: 2, sinceMillis: now - 2, untilMillis: now)
        #expect(ClaimPlanner(limit: 1, nowMillis: now, spamHold: ended).priorities == [.high, .normal, .bulk])
        #expect(ClaimPlanner(limit: 1, nowMillis: now).priorities == [.high, .normal, .bulk])
    }

    @Test("pages start at the need plus 8, grow fourfold per priority, and stop at the row budget")
    func paging() {
        var p = ClaimPlanner(limit: 10, nowMillis: now)
        p.startPriority()
        #expect(p.nextPageSize() == 18)
        p.read(rows: 18)
        #expect(p.nextPageSize() == 42)
        p.read(rows: 42)
        #expect(p.nextPageSize() == 138)
        p.startPriority()
        #expect(p.nextPageSize() == 18)
        // The row budget (at least 2,000, or 20 per message) bounds the claim.
        var q = ClaimPlanner(limit: 1, nowMillis: now)
        q.read(rows: 1_995)
        #expect(q.nextPageSize() == 5)
        q.read(rows: 5)
        #expect(q.nextPageSize() == nil)
        var none = ClaimPlanner(limit: 0, nowMillis: now)
        #expect(none.nextPageSize() == nil)
    }
}
