// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "vaultops",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vaultops", targets: ["vaultops"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // System libraries: a module map and a shim header each, nothing else.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Libraries, one concern each.
        // Hiding secrets in text (connection strings, registered values); no dependencies, so the lowest can use it.
        .target(name: "Redaction"),
        // What kind of failure an error is (usage, verification, locked, …); no dependencies, so every library
        // module's error can say it while only VaultopsCore's `ExitCode.for` turns kinds into exit codes.
        .target(name: "ErrorKinds"),
        .target(name: "VaultopsCore", dependencies: [
            "Redaction", "ErrorKinds",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "Archive", dependencies: [
            "CZlib", "CLibDeflate",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The age v1 file format (age-encryption.org/v1): X25519 and scrypt recipients, streaming encryption and
        // decryption over Archive's ByteSource/ByteSink; primitives from swift-crypto only.
        .target(name: "Age", dependencies: [
            "Archive",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        .target(name: "SQLiteSnapshot", dependencies: ["SQLite"]),
        .target(name: "LibPQ", dependencies: [
            "CLibPQ", "Redaction",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "PostgresDump", dependencies: ["LibPQ", "Archive"]),
        .target(name: "PostgresRestore", dependencies: [
            "LibPQ", "Redaction", "ErrorKinds", "Archive",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The one libcurl transport: OSS transfers, webhooks and health gates.
        .target(name: "HTTP", dependencies: ["CCurl"]),
        .target(name: "ObjectStorage", dependencies: [
            "HTTP", "VaultopsCore", "Redaction", "ErrorKinds",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // One storage interface (save, load with ranges, stat, list, remove): a local folder and an OSS prefix,
        // and the one place OSS settings are resolved. Above ObjectStorage (the raw OSS client), beside Retention.
        .target(name: "Storage", dependencies: ["ObjectStorage", "VaultopsCore", "ErrorKinds"]),
        .target(name: "Retention", dependencies: ["Storage", "VaultopsCore", "ErrorKinds", .product(name: "Crypto", package: "swift-crypto")]),
        // Folder ⇄ OSS prefix mirroring: plan (pure), local walker, parallel executor.
        .target(name: "Mirror", dependencies: ["ObjectStorage", "Storage", "VaultopsCore", "Redaction", "ErrorKinds"]),
        // SQLite → PostgreSQL migration: schema translation, CSV export, parallel COPY, verification.
        .target(name: "Migration", dependencies: [
            "SQLite", "LibPQ", "VaultopsCore", "Redaction", "ErrorKinds",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Artifacts: their kinds, formats and names; backup, verify and restore of each kind (one handler per kind),
        // the writer, the checked sources. Ties naming, compression, snapshots, dumps and manifests together.
        .target(name: "Artifacts", dependencies: [
            "VaultopsCore", "Archive", "Age", "SQLiteSnapshot", "LibPQ", "PostgresDump", "PostgresRestore",
            "ObjectStorage", "Storage", "ErrorKinds",
        ]),
        // The nightly run: sources through the artifact handlers, upload, mirror, prune, status, metrics, notifier.
        .target(name: "BackupJobs", dependencies: [
            "Artifacts", "Archive", "VaultopsCore", "Retention", "LibPQ", "ObjectStorage", "Storage", "Mirror", "HTTP", "Replication",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // Continuous SQLite replication: WAL frames shipped as segments after a page-exact snapshot per generation,
        // and restore to a point in time from them.
        .target(name: "Replication", dependencies: ["SQLite", "SQLiteSnapshot", "Storage", "Archive", "VaultopsCore", "ErrorKinds"]),

        // Deploys around a verified backup point: plan, stages, health gates, rollback, release history.
        .target(name: "Deploy", dependencies: [
            "Artifacts", "VaultopsCore", "HTTP",
        ]),

        .executableTarget(name: "vaultops", dependencies: [
            "VaultopsCore", "Archive", "SQLite", "LibPQ", "PostgresDump", "ObjectStorage", "Storage", "Retention",
            "Artifacts", "BackupJobs", "Migration", "Mirror", "Deploy", "HTTP", "Replication",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Shared helpers for tests only: temp folders, the CI PostgreSQL server, the OSS emulator, golden files,
        // running the CLI. `scripts/check-imports` (run by .ci/run) checks that every target declares exactly
        // the modules its files import.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "VaultopsCoreTests", dependencies: [
            "VaultopsCore", "TestSupport", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "TestSupport"]),
        .testTarget(name: "AgeTests", dependencies: ["Age", "Archive", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite", "SQLiteSnapshot", "TestSupport"]),
        .testTarget(name: "LibPQTests", dependencies: ["LibPQ", "Redaction", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "PostgresDumpTests", dependencies: ["PostgresDump", "LibPQ", "Archive", "TestSupport"]),
        .testTarget(name: "PostgresRestoreTests", dependencies: [
            "PostgresRestore", "PostgresDump", "LibPQ", "Archive", "Redaction", "TestSupport",
        ]),
        .testTarget(name: "ObjectStorageTests", dependencies: ["ObjectStorage", "Storage", "HTTP", "VaultopsCore", "TestSupport"]),
        .testTarget(name: "MigrationTests", dependencies: ["Migration", "SQLite", "LibPQ", "TestSupport"]),
        .testTarget(name: "MirrorTests", dependencies: ["Mirror", "ObjectStorage", "Storage", "VaultopsCore", "TestSupport"]),
        // ReplicationTests runs `vaultops replicate` and `vaultops restore` as processes (kill -9 needs one).
        .testTarget(name: "ReplicationTests", dependencies: ["Replication", "SQLite", "SQLiteSnapshot", "Storage", "TestSupport", "VaultopsCore", "vaultops"]),
        .testTarget(name: "RetentionTests", dependencies: ["Retention", "Storage", "VaultopsCore", "TestSupport"]),
        .testTarget(name: "ArtifactsTests", dependencies: [
            "Artifacts", "VaultopsCore", "PostgresRestore", "PostgresDump", "Archive", "TestSupport",
        ]),
        .testTarget(name: "BackupJobsTests", dependencies: [
            "BackupJobs", "Artifacts", "VaultopsCore", "Retention", "ObjectStorage", "Storage", "Replication", "SQLite", "TestSupport",
        ]),
        // Test targets that run the `vaultops` binary depend on it so that SwiftPM builds it first.
        .testTarget(name: "DeployTests", dependencies: ["Deploy", "vaultops", "VaultopsCore", "TestSupport"]),
        .testTarget(name: "vaultopsTests", dependencies: [
            "vaultops", "VaultopsCore", "TestSupport",
            // ExitCodeMappingTests holds one error of every kind from every module.
            "Archive", "Artifacts", "BackupJobs", "Deploy", "Migration", "Mirror", "ObjectStorage", "PostgresRestore", "Replication", "Retention",
            "Storage",
        ]),
    ]
)

// `vaultops --version` names the git commit it was built from: VAULTOPS_GIT_COMMIT from the environment, which
// packaging/build-release sets from the checkout. Not Context.gitInformation: SwiftPM caches the evaluated
// manifest across commits (a stale commit is worse than none), but re-evaluates it when the environment changes.
// Unset (a plain `swift build`, a tree without git metadata), --version says the commit is unknown.
// Only letters, digits, "-" and "." pass into the C string literal.
let gitCommit = (Context.environment["VAULTOPS_GIT_COMMIT"] ?? "")
    .filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
package.targets.append(.target(name: "CBuildInfo", cSettings: [.define("VAULTOPS_GIT_COMMIT", to: "\"\(gitCommit)\"")]))
package.targets.first { $0.name == "vaultops" }?.dependencies.append("CBuildInfo")
