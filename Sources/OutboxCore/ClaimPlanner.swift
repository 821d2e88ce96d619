/// The rules of one claim, as a state machine a store drives: which priorities to read, how
/// big each page is, and for every candidate row whether to take it, expire it, fail it, or
/// leave it. The store reads rows and carries the decisions out in the claim's transaction;
/// every store (SQLite, PostgreSQL) calls this, so the rules exist once.
///
/// The rules, in the order they apply:
/// - a channel's spam hold keeps the priorities it holds out of the claim;
/// - highest priority first, `(due_at, id)` order within one, at most `limit` messages;
/// - one message per recipient per claim; a recipient who is held (pair pacing, a retry, the
///   reach budget) or has a request open is skipped, and so are its later messages, so a
///   held recipient never blocks others and per-recipient order is kept;
/// - only a recipient's earliest due message of the priority may go (submission order);
/// - a message past `expires_at` expires, one whose body retention erased fails, and both
///   free the recipient for its next message in the same claim;
/// - `RecipientRules.verdict`: free-form outside the 24-hour window fails, a number the API
///   called unreachable fails, a hold waits;
/// - a template outside the window needs the portfolio's reach budget (`ReachBudget`): a
///   recipient reached in 24 h costs nothing, a new one is counted, and when it is used up
///   the message waits (it is not failed).
///
/// To add a rule: give `ClaimMessage` (or `RecipientState`) the fact it needs, with a default
/// that objects to nothing, and add the check to `judge` where its order belongs.
public struct ClaimPlanner: Sendable {
    public let limit: Int
    public let nowMillis: Int64
    public let rules: RecipientRules
    /// The channel's portfolio limit (nil: reach is not counted).
    public let reach: MessagingLimit?
    /// The priorities this claim reads, in the order it reads them.
    public let priorities: [Priority]
    /// How many messages were taken so far.
    public private(set) var taken = 0
    /// Recipients this claim has decided about (taken, held, or skipped).
    private var seen = Set<String>()
    /// Loaded when the first message that counts against reach is judged.
    private var reachBudget: ReachBudget?
    /// Bounds the rows one claim looks at, however many are held.
    private var rowBudget: Int
    private var slack = Self.firstSlack

    static let firstSlack = 8
    static let maxSlack = 2_000

    public static let expiredReason = "expires_at passed before it could be sent"
    public static let erasedReason = "its body was erased by retention before it was sent"

    /// - Parameter spamHold: the channel's spam hold, if any: the priorities it holds now are not read.
    public init(limit: Int, nowMillis: Int64, rules: RecipientRules = RecipientRules(), reach: MessagingLimit? = nil,
                spamHold: SpamHold? = nil) {
        self.limit = max(0, limit)
        self.nowMillis = nowMillis
        self.rules = rules
        self.reach = reach
        self.priorities = Priority.allCases.filter { spamHold?.holds($0, nowMillis: nowMillis) != true }
        self.rowBudget = max(2_000, self.limit * 20)
    }

    /// No more messages fit this claim.
    public var isFull: Bool { taken >= limit }

    // MARK: Paging

    /// Call before reading the first page of a priority: pages start small again.
    public mutating func startPriority() { slack = Self.firstSlack }

    /// How many rows to ask for next, or nil when the claim is full or has read enough rows.
    /// Each page row carries its lookups, so pages start at what is needed and grow fourfold
    /// only while held or repeated recipients are being skipped. Count what the page
    /// returned with `read(rows:)`; a page shorter than asked ends the priority.
    public mutating func nextPageSize() -> Int? {
        guard !isFull, rowBudget > 0 else { return nil }
        let page = min(rowBudget, limit - taken + slack)
        slack = min(slack * 4, Self.maxSlack)
        return page
    }

    /// The store read `rows` rows of the page it asked for.
    public mutating func read(rows: Int) { rowBudget -= rows }

    // MARK: Decisions

    /// First look at a page row: whether its recipient is still to be decided, and whether the
    /// row is the recipient's earliest due message (else the store reads that one afresh: an
    /// earlier one became due later, e.g. a retry, or one just expired in this claim).
    public mutating func screen(_ c: ClaimCandidate) -> ClaimScreening {
        // One per recipient per claim: a held message holds the later ones too.
        guard seen.insert(c.recipientID).inserted else { return .skip }
        // A held recipient's lookups were skipped (no first id); an open request waits for its answer.
        guard let first = c.firstID, !c.open else { return .skip }
        return first == c.id ? .judge : .readEarliest
    }

    /// The decision for `m`, the recipient's earliest due message, whose recipient `screen`
    /// let through. `.askReach` means the store must answer with `answer(_:used:reachedMillis:)`.
    public mutating func judge(_ m: ClaimMessage, recipient state: RecipientState?) -> ClaimDecision {
        if let expires = m.expiresMillis, expires <= nowMillis { return free(m, .expire(reason: Self.expiredReason)) }
        guard m.hasBody else { return free(m, .fail(reason: Self.erasedReason)) }
        switch rules.verdict(type: m.type, recipient: state, nowMillis: nowMillis) {
        case .wait: return .wait
        case .windowClosed: return free(m, .fail(reason: RecipientRules.windowClosedReason))
        case .unreachable(let since): return free(m, .fail(reason: rules.unreachableReason(sinceMillis: since)))
        case .send: break
        }
        if let reach, MessagingLimit.counts(type: m.type, windowOpen: rules.enforceWindow && rules.windowOpen(state, nowMillis: nowMillis)) {
            return .askReach(ReachQuestion(portfolio: reach.portfolio, recipient: m.recipient, needsUsed: reachBudget == nil))
        }
        taken += 1
        return .take(recordReach: false)
    }

    /// The store's answer to `.askReach`: when `q.needsUsed`, `used` is the portfolio's reach
    /// in the last 24 h (`MessagingLimit.window`, after pruning older rows); `reachedMillis`
    /// is when the recipient was last reached (nil: never).
    /// - Returns: `.take` (with `recordReach` when the reach row must be written) or `.wait`.
    public mutating func answer(_ q: ReachQuestion, used: Int?, reachedMillis: Int64?) -> ClaimDecision {
        guard let reach else { return .wait }
        if reachBudget == nil { reachBudget = ReachBudget(limit: reach, used: used ?? 0) }
        switch reachBudget!.admit(reachedMillis: reachedMillis, nowMillis: nowMillis) {
        case .alreadyReached:
            taken += 1
            return .take(recordReach: false)
        case .admit:
            taken += 1
            return .take(recordReach: true)
        case .wait:
            // Holds this recipient's later messages too: order is kept.
            return .wait
        }
    }

    /// The reach budget as this claim left it (nil: nothing counted).
    public var reachUsed: Int? { reachBudget?.used }

    /// A message that ends without a request frees its recipient for their next message.
    private mutating func free(_ m: ClaimMessage, _ d: ClaimDecision) -> ClaimDecision {
        seen.remove(m.recipient)
        return d
    }
}

/// What `ClaimPlanner.screen` says about a page row.
public enum ClaimScreening: Sendable, Equatable {
    /// Nothing to do: the recipient was decided, is held, or has a request open.
    case skip
    /// The row is the recipient's earliest due message: judge it.
    case judge
    /// Read the recipient's earliest due message of this priority afresh and judge that one
    /// (none left: skip).
    case readEarliest
}

/// What the claim does with one message.
public enum ClaimDecision: Sendable, Equatable {
    /// Mark it `sending` and hand it out; with `recordReach`, also record the recipient as
    /// reached now in the portfolio.
    case take(recordReach: Bool)
    /// It ends as `expired` without a request.
    case expire(reason: String)
    /// It ends as `failed` without a request.
    case fail(reason: String)
    /// It stays queued (and so do the recipient's later messages).
    case wait
    /// Needs the portfolio's reach facts first: answer with `ClaimPlanner.answer`.
    case askReach(ReachQuestion)
}

/// The facts the planner needs to admit a template outside the window.
public struct ReachQuestion: Sendable, Equatable {
    public var portfolio: String
    public var recipient: String
    /// The first such question of the claim: the store also counts the portfolio's reach.
    public var needsUsed: Bool

    public init(portfolio: String, recipient: String, needsUsed: Bool) {
        self.portfolio = portfolio
        self.recipient = recipient
        self.needsUsed = needsUsed
    }
}
