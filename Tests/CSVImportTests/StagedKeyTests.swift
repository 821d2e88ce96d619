@testable import OutboxStore
import Testing
@testable import CSVImport

/// The store stages an import row under the key the importer gives it, and writes that key
/// itself when the row becomes a message: the two must agree byte for byte, or an expanded
/// row would not be found again by a re-run.
@Suite("Staged row keys")
struct StagedKeyTests {
    @Test("the store's key of a staged row is the importer's row key", arguments: [1, 2, 10, 99_999, 1_000_000, 9_999_999_999, 12_345_678_901])
    func sameKey(row: Int) {
        for id in ["56e69c8d4e0798ce", "a", "my-import_1"] {
            #expect(SQLiteOutboxStore.stagedKey(importID: id, row: Int64(row)) == ImportKeys.rowKey(importID: id, row: row))
        }
    }
}

extension StagedKeyTests {
    @Test("a key is a staged row's only when spelled exactly as the importer spells it")
    func otherSpellings() {
        let id = "56e69c8d4e0798ce"
        for row in [1, 42, 9_999_999_999, 12_345_678_901] {
            #expect(SQLiteOutboxStore.isStagedKey(ImportKeys.rowKey(importID: id, row: row), importID: id, row: Int64(row)))
        }
        for key in ["imp-\(id)-r42", "imp-\(id)-r00000000042", "imp-\(id)-r0000000043", "imp-\(id)x-r0000000042", "imp-\(id)-r0000000042x",
                    "imp-\(id)-0000000042", "xmp-\(id)-r0000000042", "", "imp-\(id)-r", "imp-\(id)-r99999999999999999999"] {
            #expect(!SQLiteOutboxStore.isStagedKey(key, importID: id, row: 42), "\(key)")
        }
    }
}
