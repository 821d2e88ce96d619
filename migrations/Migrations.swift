/// The SQL migrations embedded in the binary, in the order they apply.
public enum Migrations {
    /// File name (without `.sql`) and SQL text of every migration, oldest first.
    public static let all: [(name: String, sql: String)] = [
        ("0001_init", String(decoding: PackageResources._001_init_sql, as: UTF8.self)),
        ("0002_webhooks", String(decoding: PackageResources._002_webhooks_sql, as: UTF8.self)),
        ("0003_scheduler", String(decoding: PackageResources._003_scheduler_sql, as: UTF8.self)),
        ("0004_reach", String(decoding: PackageResources._004_reach_sql, as: UTF8.self)),
        ("0005_retention", String(decoding: PackageResources._005_retention_sql, as: UTF8.self)),
        ("0006_lean_indexes", String(decoding: PackageResources._006_lean_indexes_sql, as: UTF8.self)),
        ("0007_bsuid_audit", String(decoding: PackageResources._007_bsuid_audit_sql, as: UTF8.self)),
        ("0008_events", String(decoding: PackageResources._008_events_sql, as: UTF8.self)),
        ("0009_templates", String(decoding: PackageResources._009_templates_sql, as: UTF8.self)),
        ("0010_optouts", String(decoding: PackageResources._010_optouts_sql, as: UTF8.self)),
        ("0011_staged_imports", String(decoding: PackageResources._011_staged_imports_sql, as: UTF8.self)),
    ]
}
