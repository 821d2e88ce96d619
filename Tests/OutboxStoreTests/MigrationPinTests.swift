import OutboxMigrations
import Testing

/// Landed migrations are append-only: a database already migrated never runs a file again, so an
/// edit to a landed file would silently split the schema between old and new installations.
/// Each landed file's text is pinned here by length and FNV-1a 64 fingerprint.
@Suite("Migrations are append-only")
struct MigrationPinTests {
    /// name → (UTF-8 length, FNV-1a 64 of the text). Add a line when a new migration lands;
    /// never change one.
    static let pinned: [String: (bytes: Int, fnv: UInt64)] = [
        "0001_init": (3_896, 0x6EA0_D645_ED40_EDA1),
        "0002_webhooks": (1_374, 0xE9C2_C876_FB46_0DC1),
        "0003_scheduler": (554, 0xE88E_EDF2_EE0C_D734),
        "0004_reach": (815, 0x4EF1_2B55_04B6_0B78),
        "0005_retention": (552, 0x5AF4_E10C_3B27_447A),
        "0006_lean_indexes": (5_347, 0xED4A_36E8_61E2_0D36),
        "0007_bsuid_audit": (6_633, 0x3363_9C1D_3369_6B22),
        "0008_events": (1_372, 0xE4F5_6E0A_D2C7_59FF),
        "0009_templates": (2_467, 0xEED8_C925_1534_C7A4),
        "0010_optouts": (734, 0xAAF1_A656_AF83_168D),
        "0011_staged_imports": (2_091, 0x2912_27E2_3F94_0C77),
    ]

    static func fingerprint(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    @Test("every landed migration is byte for byte what it was when it landed")
    func landedFilesUnchanged() {
        for m in Migrations.all {
            let actual = (bytes: m.sql.utf8.count, fnv: Self.fingerprint(m.sql))
            guard let pin = Self.pinned[m.name] else {
                Issue.record("migration \(m.name) is not pinned: add \"\(m.name)\": (\(actual.bytes), 0x\(String(actual.fnv, radix: 16, uppercase: true))) to MigrationPinTests.pinned")
                continue
            }
            #expect(pin.bytes == actual.bytes && pin.fnv == actual.fnv,
                    "migration \(m.name) changed after it landed (now \(actual.bytes) bytes, 0x\(String(actual.fnv, radix: 16, uppercase: true))): add a new migration instead")
        }
    }

    @Test("no pinned migration has been removed")
    func noneRemoved() {
        let names = Set(Migrations.all.map(\.name))
        for name in Self.pinned.keys { #expect(names.contains(name), "landed migration \(name) is gone") }
    }
}
