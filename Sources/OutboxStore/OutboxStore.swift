import OutboxCore

/// The outbox as the daemon sees it: every read and write it makes, each one transaction that
/// keeps the invariants. Two engines implement it: `SQLiteOutboxStore` (GRDB, one daemon, the
/// embedded default) and `PostgresOutboxStore` (postgres-nio, several daemons on one database).
/// The rules a claim applies are not here but in `ClaimPlanner`, which both call; the
/// conformance suite (Tests/OutboxStoreTests) runs the same tests against both.
public protocol OutboxStore: AnyObject, Sendable {
    /// Random id of this database, set at creation; part of `biz_opaque_callback_data` so a
    /// status for a message of another database is never matched to one of ours.
    var instanceID: String { get }
    /// Rung after each commit that wrote to the event log (long polls and subscribers wait on it).
    var eventSignal: EventSignal { get }

    // MARK: Channels

    /// Pauses a channel: it stops claiming; its queue stays intact.
    func pause(channel: String, reason: String, untilMillis: Int64?, nowMillis: Int64) async throws(StoreError)

    /// Lifts a channel's pause, and with `liftingSpamHoldAt` its spam-limit hold too (whose
    /// level still counts if the limit comes again). Returns false when nothing was lifted.
    @discardableResult
    func resume(channel: String, liftingSpamHoldAt spamHoldMillis: Int64?, nowMillis: Int64) async throws(StoreError) -> Bool

    /// Records that a timed pause ended by itself at `untilMillis`: clears it and writes a
    /// `resumed` event (`"by": "timer"`) at that time. Only a pause that ends then is lifted,
    /// so a newer pause set meanwhile stays. Returns false when there was none to lift.
    @discardableResult
    func liftEndedPause(channel: String, untilMillis: Int64) async throws(StoreError) -> Bool

    /// Saves the adaptive rate in force (nil: the configured one), so it survives a restart.
    /// A change is an event: `mps` is the rate in force, null when the configured one is back.
    func saveRate(channel: String, mps: Int?, nowMillis: Int64) async throws(StoreError)

    /// The saved adaptive rates.
    func savedRates() async throws(StoreError) -> [String: Int]

    /// Every paused channel and why.
    func pauses() async throws(StoreError) -> [String: ChannelPause]

    /// Queue figures per channel, for `stats` and health.
    func channelCounts() async throws(StoreError) -> [String: ChannelCounts]

    /// Attempts per channel and outcome since `sinceMillis`: seeds the rolling counters at start-up.
    func attemptCounts(sinceMillis: Int64) async throws(StoreError) -> [(channel: String, at: Int64, outcome: AttemptOutcome)]

    // MARK: Claim

    /// Takes up to `limit` due messages of `channel` and marks them `sending` in the same
    /// transaction: highest priority first, in submission order within a priority, at most one
    /// per recipient, skipping recipients that pacing or a retry holds (so they never block
    /// others). Messages whose `expires_at` passed become `expired`; free-form messages to a
    /// recipient whose 24-hour window is closed fail without a request.
    ///
    /// A template to a recipient outside their window also needs the portfolio's messaging
    /// limit (`reach`): a recipient reached in the last 24 h costs nothing more, a new one is
    /// counted, and when the budget is used up such messages wait (they are not failed).
    func claim(channel: String, nowMillis: Int64, limit: Int, rules: RecipientRules,
                      reach: MessagingLimit?) async throws(StoreError) -> [ClaimedMessage]

    /// The earliest `due_at` among the channel's queued messages, or nil when none is queued.
    /// Messages of a priority held by the channel's spam hold are due when it ends, at the soonest.
    func nextDue(channel: String) async throws(StoreError) -> Int64?

    /// The earliest hold on one of the channel's recipients after `nowMillis`: when a claim found
    /// due messages but every one was held, the worker waits for this.
    func earliestHold(channel: String, nowMillis: Int64) async throws(StoreError) -> Int64?

    // MARK: EventFeed

    /// Events after `after` (0: from the oldest still kept), oldest first, at most `limit`.
    /// With a filter, at most `scanLimit` ids are examined per call, so a rare type never makes
    /// one read walk the whole log; `nextCursor` then moves past what was examined.
    /// One writer commits ids in order: every id up to the newest one read is committed.
    func events(after: Int64, limit: Int, filter: EventFilter, scanLimit: Int) async throws(StoreError) -> EventPage

    /// The oldest and newest event ids kept (nil when the log is empty).
    func eventRange() async throws(StoreError) -> (oldest: Int64, newest: Int64)?

    /// Events after `after` matching `filter`, counted up to `cap` (a subscriber's lag).
    func countEvents(after: Int64, filter: EventFilter, cap: Int) async throws(StoreError) -> Int

    // MARK: EventLog

    func appendEvent(_ type: EventType, channel: String?, messageID: Int64?, data: [String: JSONValue]?,
                            nowMillis: Int64) async throws(StoreError)

    // MARK: EventRetention

    /// Deletes up to `limit` events written before `cutoffMillis`, oldest first, stopping at
    /// the first newer one; returns how many.
    func deleteEvents(before cutoffMillis: Int64, limit: Int) async throws(StoreError) -> Int

    /// Erases `text` and `message` of up to `limit` events' worth of `inbound` events written
    /// before `cutoffMillis`, walking ids from where the last call stopped (kept in `meta`).
    func eraseEventContent(before cutoffMillis: Int64, limit: Int) async throws(StoreError) -> (erased: Int, done: Bool)

    // MARK: Facts

    /// Every channel's spam hold still in force at `nowMillis`, for stats, health and metrics.
    func spamHolds(nowMillis: Int64) async throws(StoreError) -> [String: SpamHold]

    /// Messages priced per channel and category on the UTC day of `nowMillis`: `(all, billable)`.
    func pricedToday(nowMillis: Int64) async throws(StoreError) -> [String: [String: (messages: Int, billable: Int)]]

    // MARK: Health

    /// When the API last accepted a request of `channel`, looking back to `sinceMillis` at most
    /// (newest first through the attempts' time index, so an active channel costs one row).
    func lastAccepted(channel: String, sinceMillis: Int64) async throws(StoreError) -> Int64?

    /// Whether the database takes writes now: nil when it does, else why not (disk full,
    /// read-only, locked by another process, I/O error).
    ///
    /// The daemon's own writes say it first: each records whether it committed. When none
    /// ran for `WriteTracker.trustMillis`, a probe writes one tiny row of `meta` instead,
    /// waiting at most `WriteTracker.probeBusyMillis` for a lock another process holds; probes
    /// run one at a time, at most once per `WriteTracker.probeEveryMillis`.
    func writeProblem() async -> String?

    // MARK: Imports

    /// Cancels every still-queued message of a bulk import in one transaction, each with a
    /// `cancelled` event in its timeline. Messages already handed to the API are left alone.
    /// - Returns: how many were cancelled.
    /// - Throws: `StoreError.notFound` when no message carries this import id.
    func cancel(importID: String, nowMillis: Int64) async throws(StoreError) -> Int

    /// How many messages of a bulk import are in each state; empty when none carries this id.
    func stateCounts(importID: String) async throws(StoreError) -> [MessageState: Int]

    // MARK: Inbox

    /// Stores payloads durably (one commit for the batch); returns their ids.
    func storeInbox(_ items: [InboxItem], nowMillis: Int64) async throws(StoreError) -> [Int64]

    /// Payloads not processed yet, oldest first: up to `limit` of them and `maxBytes` of bodies
    /// in all, but always the oldest one whatever its size. The sizes are read first (SQLite
    /// knows a blob's length without reading it), so no body past the budget is loaded.
    func pendingInbox(limit: Int, maxBytes: Int) async throws(StoreError) -> [PendingInbox]

    /// Those of `ids` not processed yet (a relay applies its own payload before answering).
    func pendingInbox(ids: [Int64]) async throws(StoreError) -> [PendingInbox]

    /// Applies processed payloads and marks them processed, in one transaction. A payload
    /// already processed (by the other path: the background processor, or a relay or a
    /// submission that applied it first) is skipped, so each is applied once.
    /// - Returns: the channels whose queue the batch may have moved (an open request settled,
    ///   a failure fact, a customer writing): their workers should look again. Plain delivery
    ///   and read receipts of sent messages wake nobody. And what failed statuses changed
    ///   beyond their messages (pauses, spam holds, rates) and the messages priced.
    @discardableResult
    func applyInbox(_ processed: [ProcessedInbox], nowMillis: Int64) async throws(StoreError) -> InboxEffects

    /// When the recipient last wrote on this channel, if ever.
    func lastInbound(channel: String, recipient: String) async throws(StoreError) -> Int64?

    /// The recipient facts the webhooks taught, for tests and `status`.
    func recipientFacts(channel: String, recipient: String) async throws(StoreError) -> (lastInbound: Int64?, windowClosed: Int64?, unreachable: Int64?)?

    /// Counts of stored payloads: pending, and kept with an error.
    func inboxCounts() async throws(StoreError) -> (pending: Int, failed: Int)

    // MARK: Metrics

    /// Queue depth per channel and priority, the earliest due time, and messages in `sending`.
    func queueFigures() async throws(StoreError) -> QueueFigures

    /// The newest timeline event's id (0 for none): counting endings starts after it.
    func lastEventID() async throws(StoreError) -> Int64

    /// `failed` and `expired` endings the timeline recorded after event `afterID`, per channel.
    /// Reads only the events since then (a range of the rowid), so its cost follows the
    /// traffic since the last call, not the size of the database.
    func timelineEndings(afterEventID afterID: Int64) async throws(StoreError) -> TimelineEndings

    // MARK: Queries

    /// One message and its timeline, or nil.
    func timeline(id: Int64) async throws(StoreError) -> MessageTimeline?

    /// The message that got this wamid, with its timeline, or nil.
    func timeline(wamid: String) async throws(StoreError) -> MessageTimeline?

    /// Messages matching `filter`, newest first, and whether more follow.
    func list(_ filter: MessageFilter) async throws(StoreError) -> (messages: [MessageRecord], more: Bool)

    // MARK: Recipients

    /// Per portfolio: recipients reached outside their window in the last 24 h, and when the
    /// oldest of them stops counting (when a used-up budget frees a place).
    func reachUse(portfolios: [String], nowMillis: Int64) async throws(StoreError) -> [String: (used: Int, nextFreeMillis: Int64?)]

    /// Per channel: recipients whose 24-hour window is open now (they wrote within 24 h less the margin).
    func openWindows(nowMillis: Int64, marginMillis: Int64) async throws(StoreError) -> [String: Int]

    /// The recipient's state, for the window check at submission.
    func recipientState(channel: String, recipient: String) async throws(StoreError) -> RecipientState?

    // MARK: Record

    /// Puts claimed messages that were never handed to the API back in the queue, as they were.
    func release(_ ids: [Int64], nowMillis: Int64) async throws(StoreError)

    /// Writes a batch of finished attempts and applies each decision, in one transaction.
    func record(_ records: [AttemptRecord], nowMillis: Int64) async throws(StoreError)

    // MARK: Recovery

    /// At start-up: every message left in `sending` by a process that stopped mid-request.
    /// Its request may or may not have reached the API, so it gets an `unknown_outcome`
    /// attempt and waits `waitMillis` for a status that settles it.
    /// - Returns: how many were found.
    @discardableResult
    func recoverInterrupted(nowMillis: Int64, waitMillis: Int64) async throws(StoreError) -> Int

    /// Messages whose unknown outcome was not settled by a status in time: resent (back to
    /// the queue) or failed, per `[retry] unknown_outcome`. The timeline records which.
    @discardableResult
    func settleOverdue(nowMillis: Int64, action: RetryPolicy.UnknownOutcomeAction, maxAttempts: Int) async throws(StoreError) -> Int

    /// The earliest settlement deadline of an unknown outcome, or nil.
    func nextSettlementDeadline() async throws(StoreError) -> Int64?

    // MARK: Retention

    /// Erases the bodies of up to `limit` finished messages last changed before
    /// `cutoffMillis`, oldest first; returns how many. Attempts and events stay.
    func eraseBodies(changedBefore cutoffMillis: Int64, limit: Int) async throws(StoreError) -> Int

    /// Deletes the finished messages last changed before `cutoffMillis`, with their attempts
    /// and events (the foreign keys cascade), among the next `limit` messages after `afterID`
    /// in id order. Returns how many went and the id to continue after, or nil once the walk
    /// reached the end or a message created after the cutoff (a later one cannot qualify:
    /// ids grow with `created_at`, and `updated_at` is never before `created_at`).
    func deleteFinished(changedBefore cutoffMillis: Int64, afterID: Int64, limit: Int) async throws(StoreError) -> (deleted: Int, next: Int64?)

    /// Empties the bodies of up to `limit` processed webhook payloads received before
    /// `cutoffMillis`, in arrival order from where the last call stopped (kept in `meta`,
    /// so erased payloads are not read again); the row, its arrival time and any error stay.
    /// Returns how many, and whether the walk reached payloads too new or not yet processed.
    func erasePayloads(receivedBefore cutoffMillis: Int64, limit: Int) async throws(StoreError) -> (erased: Int, done: Bool)

    /// Deletes up to `limit` processed webhook payloads received before `cutoffMillis`, oldest
    /// first, stopping at the first one too new or not yet processed; returns how many.
    func deletePayloads(receivedBefore cutoffMillis: Int64, limit: Int) async throws(StoreError) -> Int

    /// Keeps what the last retention pass did, for `stats`.
    func saveRetentionPass(_ pass: RetentionPass) async throws(StoreError)

    /// What the last retention pass did, if one ran.
    func lastRetentionPass() async throws(StoreError) -> RetentionPass?

    // MARK: Submit

    /// Stores a batch of validated submissions in one transaction (one fsync for all).
    /// Each gets its own result; a duplicate or conflict does not affect the others.
    func submit(_ batch: [Submission], nowMillis: Int64) async throws(StoreError) -> [SubmitResult]

    /// Cancels a message that has not been handed to the API.
    /// - Returns: the state it ended in (`cancelled`, or the state that prevented it).
    func cancel(id: Int64, nowMillis: Int64) async throws(StoreError) -> (cancelled: Bool, state: MessageState)

    // MARK: Staged imports (SQLite; see SQLiteOutboxStore+Staging)

    /// True when `submit` stages import rows marked `stagedRow`, for `expandStaged` to turn into messages.
    var stagesImports: Bool { get }
    /// Staged rows per channel that has some.
    func stagedCounts() async throws(StoreError) -> [String: Int]
    /// Queued messages of a channel, counted up to `cap`.
    func queuedCount(channel: String, cap: Int) async throws(StoreError) -> Int
    /// Turns up to `limit` staged rows of a channel into messages, oldest first.
    func expandStaged(channel: String, limit: Int, nowMillis: Int64) async throws(StoreError) -> (created: Int, dropped: Int)

    // MARK: Subscribers

    /// Every subscriber's stored progress, by name.
    func subscriberProgress() async throws(StoreError) -> [String: SubscriberProgress]

    /// Saves a subscriber's progress (one small transaction; callers do it about once a second).
    func saveSubscriberProgress(name: String, _ p: SubscriberProgress) async throws(StoreError)

    /// The newest event's id (0 when the log is empty): a new subscriber starts after it.
    func newestEventID() async throws(StoreError) -> Int64

    /// When event `id` was written, if it is kept.
    func eventTime(id: Int64) async throws(StoreError) -> Int64?

    // MARK: Templates and opt-outs

    /// How long marketing to a recipient waits after a 131049 (`[marketing] limit_hold`).
    func setMarketingHold(millis: Int64)

    /// Replaces a channel's catalog with what 360dialog listed; a template whose status changed
    /// since the last sync has that status's effect on its queued messages. Returns how many changed.
    @discardableResult
    func replaceCatalog(channel: String, specs: [TemplateSpec], nowMillis: Int64) async throws(StoreError) -> Int

    /// Notes a sync that did not complete; the catalog stays as it was.
    func catalogSyncFailed(channel: String, error: String, nowMillis: Int64) async throws(StoreError)

    /// Every channel's synced catalog, with the statuses webhooks reported since.
    func catalogs() async throws(StoreError) -> [String: TemplateCatalog]

    /// The templates of one channel (or all), with the pauses in force.
    func templates(channel: String?, nowMillis: Int64) async throws(StoreError) -> [TemplateRecord]

    /// Per channel: templates, paused ones, the last sync.
    func catalogStates(nowMillis: Int64) async throws(StoreError) -> [String: CatalogState]

    /// An operator's opt-out (queued marketing to the customer fails). Returns whether it was new.
    func addOptOut(channel: String, recipient: String, detail: String?, nowMillis: Int64) async throws(StoreError) -> Bool

    /// Takes the customer off the channel's list. Returns whether they were on it.
    func removeOptOut(channel: String, recipient: String, nowMillis: Int64) async throws(StoreError) -> Bool

    /// The customer's opt-out on the channel, if any.
    func optOut(channel: String, recipient: String) async throws(StoreError) -> OptOutRecord?

    /// The opt-out list, newest first.
    func optOuts(channel: String?, recipient: String?, limit: Int) async throws(StoreError) -> [OptOutRecord]

    // MARK: Store

    /// Size of the outbox on disk, in bytes: SQLite's file and its WAL; on PostgreSQL the tables
    /// of the outbox's schema with their indexes, as `channelCounts`/`queueFigures` last measured.
    func sizeBytes() -> Int64

    /// The text the daemon puts in `biz_opaque_callback_data` for message `id`.
    func callbackData(for id: Int64) -> String

    /// The message id inside a `biz_opaque_callback_data` of this database, or nil.
    func messageID(fromCallbackData text: String) -> Int64?

    /// A cheap read that proves the database answers.
    func ping() async throws(StoreError)
}

/// The defaults callers rely on (a protocol requirement cannot declare them).
extension OutboxStore {
    public func resume(channel: String, nowMillis: Int64) async throws(StoreError) -> Bool {
        try await resume(channel: channel, liftingSpamHoldAt: nil, nowMillis: nowMillis)
    }

    public func claim(channel: String, nowMillis: Int64, limit: Int, rules: RecipientRules = RecipientRules()) async throws(StoreError) -> [ClaimedMessage] {
        try await claim(channel: channel, nowMillis: nowMillis, limit: limit, rules: rules, reach: nil)
    }

    public func events(after: Int64, limit: Int, filter: EventFilter = EventFilter()) async throws(StoreError) -> EventPage {
        try await events(after: after, limit: limit, filter: filter, scanLimit: 50_000)
    }

    public func countEvents(after: Int64, filter: EventFilter) async throws(StoreError) -> Int {
        try await countEvents(after: after, filter: filter, cap: 1_000_000)
    }

    public func appendEvent(_ type: EventType, channel: String?, messageID: Int64? = nil, nowMillis: Int64) async throws(StoreError) {
        try await appendEvent(type, channel: channel, messageID: messageID, data: nil, nowMillis: nowMillis)
    }

    public func appendEvent(_ type: EventType, channel: String?, data: [String: JSONValue]?, nowMillis: Int64) async throws(StoreError) {
        try await appendEvent(type, channel: channel, messageID: nil, data: data, nowMillis: nowMillis)
    }

    public func pendingInbox(limit: Int) async throws(StoreError) -> [PendingInbox] {
        try await pendingInbox(limit: limit, maxBytes: .max)
    }
}

/// A store that stores every import row as a message at once (PostgreSQL): nothing is staged.
extension OutboxStore {
    public var stagesImports: Bool { false }
    public func stagedCounts() async throws(StoreError) -> [String: Int] { [:] }
    public func queuedCount(channel: String, cap: Int) async throws(StoreError) -> Int { 0 }
    public func expandStaged(channel: String, limit: Int, nowMillis: Int64) async throws(StoreError) -> (created: Int, dropped: Int) { (0, 0) }
}
