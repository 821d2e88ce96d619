/// The PostgreSQL line of migrations embedded in the binary, in the order they apply. It is its
/// own line (the SQLite files in `migrations/` are a different dialect); both are append-only.
public enum PostgresMigrations {
    /// File name (without `.sql`) and SQL text of every migration, oldest first.
    public static let all: [(name: String, sql: String)] = [
        ("0001_init", String(decoding: PackageResources._001_init_sql, as: UTF8.self)),
        ("0002_templates_optouts", String(decoding: PackageResources._002_templates_optouts_sql, as: UTF8.self)),
        ("0003_event_publication", String(decoding: PackageResources._003_event_publication_sql, as: UTF8.self)),
    ]
}
