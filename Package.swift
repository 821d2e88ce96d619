// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "wa-outbox",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wa-outbox", targets: ["wa-outbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        // Hummingbird's own dependency (same version): the HTTP part types a listener's
        // connection handler sees.
        .package(url: "https://github.com/apple/swift-nio-extras", exact: "1.35.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        // AsyncHTTPClient's own TLS (same version): the lean `/messages` client's https.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        // The PostgreSQL store's driver (several daemons on one database).
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        // Property tests (the import's fast path held to the slow one).
        .package(url: "https://github.com/x-sheep/swift-property-based.git", exact: "2.0.1"),
    ],
    targets: [
        // Pure domain: decisions, no I/O.
        .target(name: "OutboxCore"),
        // The schema's only source, embedded in the binary.
        .target(
            name: "OutboxMigrations",
            path: "migrations",
            exclude: ["README.md", "postgresql"],
            resources: [
                .embedInCode("0001_init.sql"),
                .embedInCode("0002_webhooks.sql"),
                .embedInCode("0003_scheduler.sql"),
                .embedInCode("0004_reach.sql"),
                .embedInCode("0005_retention.sql"),
                .embedInCode("0006_lean_indexes.sql"),
                .embedInCode("0007_bsuid_audit.sql"),
                .embedInCode("0008_events.sql"),
                .embedInCode("0009_templates.sql"),
                .embedInCode("0010_optouts.sql"),
                .embedInCode("0011_staged_imports.sql"),
            ]
        ),
        // The only door to SQLite.
        .target(
            name: "OutboxStore",
            dependencies: [
                "OutboxCore", "OutboxMigrations",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // The PostgreSQL line of the schema, embedded in the binary.
        .target(
            name: "OutboxMigrationsPostgres",
            path: "migrations/postgresql",
            exclude: ["README.md"],
            resources: [
                .embedInCode("0001_init.sql"),
                .embedInCode("0002_templates_optouts.sql"),
                .embedInCode("0003_event_publication.sql"),
            ]
        ),
        // The door to PostgreSQL: the same store contract, for several daemons on one database.
        .target(
            name: "OutboxStorePostgres",
            dependencies: [
                "OutboxCore", "OutboxStore", "OutboxMigrationsPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // 360dialog transport: bodies, responses, classification.
        .target(
            name: "WhatsApp",
            dependencies: [
                "OutboxCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        // Wire types shared by the daemon and the CLI client.
        .target(name: "OutboxAPI", dependencies: ["OutboxCore"]),
        // Services and their wiring.
        .target(
            name: "OutboxDaemon",
            dependencies: [
                "OutboxCore", "OutboxStore", "OutboxStorePostgres", "WhatsApp", "OutboxAPI", "CSVImport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The socket API's OpenAPI 3.1 document, served at GET /v1/openapi.json.
            resources: [.embedInCode("Resources/openapi.json")]
        ),
        // The built-in 360dialog simulator.
        .target(
            name: "Sandbox",
            dependencies: [
                "OutboxCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Thin client of the daemon's socket.
        .target(
            name: "OutboxClient",
            dependencies: [
                "OutboxAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // Bulk import from CSV: streaming reader, row checks, idempotency keys, batches.
        .target(name: "CSVImport", dependencies: ["OutboxAPI", "OutboxCore", "OutboxClient"]),
        .executableTarget(
            name: "wa-outbox",
            dependencies: [
                "OutboxDaemon", "Sandbox", "OutboxClient", "OutboxAPI", "CSVImport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Benchmarks: `scripts/bench` runs this against the release binary.
        .executableTarget(
            name: "wa-outbox-bench",
            dependencies: [
                "OutboxAPI", "OutboxCore", "OutboxStore", "OutboxStorePostgres",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "OutboxCore", "OutboxStore", "OutboxDaemon", "Sandbox", "OutboxClient", "OutboxAPI", "WhatsApp",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "OutboxCoreTests", dependencies: ["OutboxCore", "TestSupport"]),
        .testTarget(name: "OutboxStoreTests", dependencies: [
            "OutboxStore", "OutboxStorePostgres", "OutboxMigrations", "OutboxMigrationsPostgres", "TestSupport",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        .testTarget(name: "WhatsAppTests", dependencies: ["WhatsApp", "TestSupport", .product(name: "NIOSSL", package: "swift-nio-ssl")]),
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox", "WhatsApp", "TestSupport"]),
        .testTarget(name: "OutboxDaemonTests", dependencies: [
            "OutboxDaemon", "OutboxStore", "OutboxStorePostgres", "OutboxClient", "OutboxAPI", "Sandbox", "WhatsApp", "TestSupport",
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .testTarget(name: "WaOutboxTests", dependencies: ["wa-outbox", "OutboxAPI", "OutboxCore"]),
        .testTarget(name: "CSVImportTests", dependencies: [
            "CSVImport", "OutboxDaemon", "OutboxClient", "OutboxAPI", "Sandbox", "TestSupport",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        // The parsers of outside input as fuzz targets: a seeded run here, libFuzzer campaigns in scripts/fuzz.
        .testTarget(name: "FuzzTests", dependencies: [
            "OutboxCore", "OutboxAPI", "WhatsApp", "CSVImport", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
    ]
)
