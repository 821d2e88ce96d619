import GRDB
import OutboxCore

extension OutboxStore {
    /// Applies one status to the message it is about, found by our callback data or by wamid.
    /// Statuses only move a message forward (sent < delivered < read); a duplicate changes
    /// nothing; every new status is kept in the timeline. A status for a message whose outcome
    /// was unknown settles it: the API took it, so it is not resent.
    /// - Returns: the message's channel when the status took it out of `queued` or `sending`
    ///   (a recipient's open request ended: that channel's worker may claim again).
    static func apply(_ s: StatusReport, db: Database, nowMillis: Int64, instanceID: String) throws -> String? {
        var row: Row?
        if let cb = s.callbackData, let id = messageID(fromCallbackData: cb, instanceID: instanceID) {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, channel, recipient, state, awaiting_settlement, payload FROM messages WHERE id = ?"), arguments: [id])
        }
        if row == nil {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, channel, recipient, state, awaiting_settlement, payload FROM messages WHERE wamid = ?"), arguments: [s.wamid])
        }
        guard let row, let state = MessageState(rawValue: row["state"]) else { return nil }
        let id: Int64 = row["id"]
        let freed: String? = state == .queued || state == .sending ? row["channel"] : nil
        let at = s.timestampMillis ?? nowMillis
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO events (message_id, at, status, detail) VALUES (?, ?, ?, ?)")
            .execute(arguments: [id, at, s.status, s.error?.summary])
        guard db.changesCount > 0 else { return nil }  // a duplicate

        if let rank = StatusReport.rank(s.status) {
            let newState: MessageState = rank == 1 ? .sent : rank == 2 ? .delivered : .read
            switch state {
            case .queued, .sending:
                try db.cachedStatement(sql: """
                    UPDATE messages SET state = ?, wamid = coalesce(wamid, ?), sent_at = coalesce(sent_at, ?), awaiting_settlement = 0,
                           last_error = NULL, updated_at = ? WHERE id = ?
                    """).execute(arguments: [newState.rawValue, s.wamid, at, nowMillis, id])
                if (row["awaiting_settlement"] as Int) == 1 || state == .queued {
                    try db.cachedStatement(sql: "INSERT INTO events (message_id, at, status, detail) VALUES (?, ?, 'settled', ?)").execute(arguments: [
                        id, nowMillis, "the request's outcome was unknown; a '\(s.status)' status shows the API took it (\(s.wamid)), so it is not resent",
                    ])
                }
            case .sent, .delivered, .read, .failed:
                // Forward only; a delivered or read after a failed proves the failure wrong.
                let current = state == .failed ? 0 : (StatusReport.rank(state.rawValue) ?? 0)
                if rank > current {
                    try db.cachedStatement(sql: "UPDATE messages SET state = ?, wamid = coalesce(wamid, ?), updated_at = ? WHERE id = ?")
                        .execute(arguments: [newState.rawValue, s.wamid, nowMillis, id])
                }
            case .expired, .cancelled:
                break
            }
            return freed
        }
        guard s.status == "failed" else { return nil }
        if [.queued, .sending, .sent, .delivered].contains(state) {
            try db.cachedStatement(sql: "UPDATE messages SET state = 'failed', last_error = ?, awaiting_settlement = 0, updated_at = ? WHERE id = ?")
                .execute(arguments: ["failed status: " + (s.error?.summary ?? "no error given"), nowMillis, id])
        }
        try applyFailureFacts(s, db: db, channel: row["channel"], recipient: row["recipient"], payload: row["payload"], at: at, nowMillis: nowMillis)
        // A failure fact (closed window, paused template) can end queued messages: wake the channel too.
        return row["channel"]
    }

    /// What a failed status teaches beyond its message: the window is closed (131047/470),
    /// the number cannot receive (131026/1026), the template is paused or disabled
    /// (132015/132016: its queued messages fail instead of being sent into the pause).
    static func applyFailureFacts(_ s: StatusReport, db: Database, channel: String, recipient: String, payload: String?, at: Int64, nowMillis: Int64) throws {
        switch s.error?.code {
        case 131047, 470:
            try db.execute(sql: """
                INSERT INTO recipients (channel, recipient, window_closed_at) VALUES (?, ?, ?)
                ON CONFLICT(channel, recipient) DO UPDATE SET window_closed_at = excluded.window_closed_at
                """, arguments: [channel, recipient, at])
        case 131026, 1026:
            try db.execute(sql: """
                INSERT INTO recipients (channel, recipient, unreachable_at) VALUES (?, ?, ?)
                ON CONFLICT(channel, recipient) DO UPDATE SET unreachable_at = excluded.unreachable_at
                """, arguments: [channel, recipient, at])
        case 132015, 132016:
            guard let payload, let name = try String.fetchOne(db, sql: "SELECT json_extract(?, '$.template.name')", arguments: [payload]) else { return }
            let reason = "template '\(name)' is \(s.error?.code == 132016 ? "disabled" : "paused") (\(s.error?.summary ?? ""))"
            let ids = try Int64.fetchAll(db, sql: """
                SELECT id FROM messages WHERE state = 'queued' AND channel = ? AND type = 'template' AND json_extract(payload, '$.template.name') = ?
                """, arguments: [channel, name])
            for id in ids { try finish(db, id: id, state: .failed, reason: reason, nowMillis: nowMillis) }
        default:
            break
        }
    }

    static func messageID(fromCallbackData text: String, instanceID: String) -> Int64? {
        let parts = text.split(separator: ":")
        guard parts.count == 3, parts[0] == "wao", parts[1] == instanceID else { return nil }
        return Int64(parts[2])
    }
}
