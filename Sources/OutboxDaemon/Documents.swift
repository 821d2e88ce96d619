import Foundation
import OutboxAPI
import OutboxCore
import OutboxStore

/// Store records → wire documents.
enum Documents {
    static func message(_ m: MessageRecord, attempts: [AttemptDocument]? = nil, events: [EventDocument]? = nil) -> MessageDocument {
        var d = MessageDocument(
            id: String(m.id), channel: m.channel, to: m.recipient, type: m.type, state: m.state, priority: m.priority,
            createdAt: RFC3339.format(millis: m.createdMillis), updatedAt: RFC3339.format(millis: m.updatedMillis),
            wamid: m.wamid, lastError: m.lastError, idempotencyKey: m.idempotencyKey, importID: m.importID,
            expiresAt: m.expiresMillis.map { RFC3339.format(millis: $0) },
            dueAt: m.state == .queued || m.awaitingSettlement ? RFC3339.format(millis: m.dueMillis) : nil,
            attemptCount: m.attemptCount, awaitingSettlement: m.awaitingSettlement,
            attempts: attempts, events: events,
            message: m.payload.flatMap { try? JSONParser.parse($0.utf8) })
        d.held = m.heldReason.map { HeldDocument(reason: $0, until: RFC3339.format(millis: m.dueMillis)) }
        return d
    }

    static func message(_ t: MessageTimeline) -> MessageDocument {
        message(
            t.message,
            attempts: t.attempts.map {
                var a = AttemptDocument(at: RFC3339.format(millis: $0.atMillis), outcome: $0.outcome, httpStatus: $0.httpStatus,
                                        errorCode: $0.errorCode, errorTitle: $0.errorTitle, errorDetails: $0.errorDetails, latencyMs: $0.latencyMillis)
                (a.fbtraceID, a.messageStatus, a.waID) = ($0.traceID, $0.messageStatus, $0.waID)
                return a
            },
            events: t.events.map { e in
                var d = EventDocument(at: RFC3339.format(millis: e.atMillis), status: e.status, detail: e.detail)
                d.pricing = e.pricing.map { PricingDocument(billable: $0.billable, pricingModel: $0.model, type: $0.type, category: $0.category) }
                d.conversation = e.conversation.map { ConversationDocument(id: $0.id, originType: $0.originType) }
                return d
            })
    }
}
