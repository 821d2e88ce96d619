import Foundation
import OutboxAPI
import OutboxCore
import OutboxStore

/// Store records → wire documents.
enum Documents {
    static func message(_ m: MessageRecord, attempts: [AttemptDocument]? = nil, events: [EventDocument]? = nil) -> MessageDocument {
        MessageDocument(
            id: String(m.id), channel: m.channel, to: m.recipient, type: m.type, state: m.state, priority: m.priority,
            createdAt: RFC3339.format(millis: m.createdMillis), updatedAt: RFC3339.format(millis: m.updatedMillis),
            wamid: m.wamid, lastError: m.lastError, idempotencyKey: m.idempotencyKey, importID: m.importID,
            expiresAt: m.expiresMillis.map { RFC3339.format(millis: $0) },
            dueAt: m.state == .queued || m.awaitingSettlement ? RFC3339.format(millis: m.dueMillis) : nil,
            attemptCount: m.attemptCount, awaitingSettlement: m.awaitingSettlement,
            attempts: attempts, events: events,
            message: m.payload.flatMap { try? JSONParser.parse($0.utf8) })
    }

    static func message(_ t: MessageTimeline) -> MessageDocument {
        message(
            t.message,
            attempts: t.attempts.map {
                AttemptDocument(at: RFC3339.format(millis: $0.atMillis), outcome: $0.outcome, httpStatus: $0.httpStatus,
                                errorCode: $0.errorCode, errorTitle: $0.errorTitle, errorDetails: $0.errorDetails, latencyMs: $0.latencyMillis)
            },
            events: t.events.map { EventDocument(at: RFC3339.format(millis: $0.atMillis), status: $0.status, detail: $0.detail) })
    }
}
