// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "csirt",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "csirt", targets: ["csirt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // OpenSSL 3 libcrypto, the only cryptography csirt uses.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // Small, safe Swift wrapper: keys, SHA-256, signatures, RFC 3161 time-stamp requests and tokens.
        .target(name: "CSIRTCrypto", dependencies: ["COpenSSL"]),
        // The HTTP/1.1 (and TLS, through libssl) POST that asks a Time-Stamping Authority for a token.
        .target(name: "TSAClient", dependencies: ["COpenSSL"]),
        // Incidents, their lifecycle, playbooks and deadlines: pure domain, no I/O.
        .target(name: "Incidents"),
        // Firewall rulesets, the three-layer policies and their exact analysis: pure domain, no I/O.
        .target(name: "Segmentation", swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        // csirt's YAML formats (playbooks, site descriptions, control catalogs), every problem located as file:line:column.
        .target(name: "YAMLFormats", dependencies: ["Incidents", "Segmentation", "Reports", .product(name: "Yams", package: "Yams")]),
        // Canonical JSON (the audit log's line form: writer and strict scanner) and RFC 3339 times. Pure, no I/O.
        .target(name: "CanonicalJSON"),
        // The hash-chained, signed audit log: format, writer, verifier.
        .target(name: "AuditLog", dependencies: ["CanonicalJSON", "CSIRTCrypto"]),
        // Compliance reports: control catalogs, their evaluation from evidence, every format. No I/O.
        .target(name: "Reports", dependencies: ["Incidents", "CanonicalJSON", "CSIRTCrypto"]),
        // The SQLite store (GRDB, WAL).
        .target(name: "CSIRTStore", dependencies: ["CanonicalJSON", "CSIRTCrypto", .product(name: "GRDB", package: "GRDB.swift")]),
        // The one application layer every command (and later every HTTP route) calls.
        .target(
            name: "CSIRTApplication",
            dependencies: [
                "CSIRTCrypto", "CanonicalJSON", "AuditLog", "CSIRTStore", "Incidents", "YAMLFormats", "Reports", "TSAClient",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The HTTP API: routes over the same application layer, auth, problem+json errors, metrics.
        .target(
            name: "CSIRTServer",
            dependencies: [
                "CSIRTApplication", "Incidents", "Segmentation", "CanonicalJSON", "YAMLFormats", "Reports", "CSIRTCrypto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.embedInCode("openapi.yaml")]
        ),
        .executableTarget(
            name: "csirt",
            dependencies: ["CSIRTApplication", "CSIRTServer", "Incidents", "Segmentation", "AuditLog", "CanonicalJSON", "CSIRTCrypto", "Reports", .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log")]
        ),
        // Benchmarks are run by hand (see Benchmarks/README.md); they are built but never run by `swift test`.
        .executableTarget(
            name: "audit-verify-bench",
            dependencies: ["AuditLog", "CanonicalJSON", "CSIRTCrypto"],
            path: "Benchmarks/AuditVerify"
        ),
        // Helpers the test targets share: running processes, temporary directories, openssl-made keys.
        .target(name: "TestSupport", dependencies: ["AuditLog", "CSIRTCrypto"], path: "Tests/TestSupport"),
        .executableTarget(
            name: "incident-bench",
            dependencies: ["CSIRTApplication", "CSIRTStore", "Incidents", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/IncidentQueries"
        ),
        .testTarget(name: "CSIRTCryptoTests", dependencies: ["CSIRTCrypto", "TestSupport"]),
        // Real HTTP and TLS exchanges with a local TSA (openssl ts -reply behind a python3 responder on loopback).
        .testTarget(name: "TSAClientTests", dependencies: ["TSAClient", "CSIRTCrypto", "TestSupport"]),
        .testTarget(name: "IncidentsTests", dependencies: ["Incidents", "YAMLFormats"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "YAMLFormats", "Incidents", "TestSupport"]),
        .testTarget(name: "SegmentationTests", dependencies: ["Segmentation", "YAMLFormats"], exclude: ["Fixtures"]),
        .testTarget(name: "AuditLogTests", dependencies: ["AuditLog", "CanonicalJSON", "CSIRTCrypto", "TestSupport"]),
        .testTarget(name: "CSIRTApplicationTests", dependencies: ["CSIRTApplication", "CSIRTStore", "AuditLog", "CanonicalJSON", "CSIRTCrypto", "TestSupport",
                                                            .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "CSIRTServerTests",
            dependencies: [
                "CSIRTServer", "CSIRTApplication", "AuditLog", "CanonicalJSON", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Runs the built `csirt` binary and the real openssl CLI.
        .testTarget(name: "EndToEndTests", dependencies: ["csirt", "AuditLog", "CanonicalJSON", "CSIRTCrypto", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
