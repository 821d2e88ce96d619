@testable import OutboxStore
import Testing

@Suite("Recording answers: the fast path's checks")
struct RecordPathTests {
    @Test("a wa_id that is the recipient's number without its plus needs no alias; anything else goes the full way")
    func sameNumber() {
        #expect(SQLiteOutboxStore.isNumber("4915112345678", of: "+4915112345678"))
        #expect(!SQLiteOutboxStore.isNumber("4915112345679", of: "+4915112345678"))
        #expect(!SQLiteOutboxStore.isNumber("491511234567", of: "+4915112345678"))
        #expect(!SQLiteOutboxStore.isNumber("+4915112345678", of: "+4915112345678"))  // parsed by recordAlias, which finds no alias
        #expect(!SQLiteOutboxStore.isNumber("US.13491208655302741918", of: "US.13491208655302741918"))
        #expect(!SQLiteOutboxStore.isNumber("", of: "+"))
    }
}
