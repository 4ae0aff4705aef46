import Artifacts
import Foundation
import Testing
import TestSupport
import VaultopsCore

@Suite("finding the artifact restore asks for, and its target (pure)")
struct ArtifactLookupTests {
    static let local = ["db_20250101.sql.gz", "db_20250101.sql.gz.manifest.json", "db_20250103.sql.gz", "mms_20250102.db.gz",
                        "mms_20250104.db.gz.partial", ".vaultops-status.json", "notes.txt"]
    static let remote = ["db_20250101.sql.gz", "db_20250102.sql.gz", "db_20250104.sql.gz.age", "mms_20250105.db.gz",
                         "mms_20250105_020000.db.gz"]

    /// (argument, --at, --latest) → the query, or nil when it is refused.
    @Test(arguments: [
        ("db_20250101.sql.gz", nil, false, ArtifactQuery.file("db_20250101.sql.gz")),
        ("db_20250101.sql.gz.age", nil, false, .file("db_20250101.sql.gz.age")),
        ("db", nil, false, .newest(source: "db")),
        ("db", nil, true, .newest(source: "db")),
        ("db", "2025-01-02", false, .onOrBefore(source: "db", day: ArtifactStamp(year: 2025, month: 1, day: 2))),
        ("db", "20250102", false, .onOrBefore(source: "db", day: ArtifactStamp(year: 2025, month: 1, day: 2))),
        ("db", "2025-13-02", false, nil),
        ("db", "2025/01/02", false, nil),
        ("db", "2025-01-02", true, nil),
        ("db_20250101.sql.gz", nil, true, nil),
        ("dump.sql.gz", nil, false, nil),
        ("a b", nil, false, nil),
    ] as [(String, String?, Bool, ArtifactQuery?)])
    func query(argument: String, at: String?, latest: Bool, expected: ArtifactQuery?) {
        let parsed = try? ArtifactQuery.parse(argument, at: at, latest: latest)
        #expect(parsed == expected)
    }

    /// (query, kind from the config) → the file picked and where.
    @Test(arguments: [
        (ArtifactQuery.file("db_20250101.sql.gz"), nil, "db_20250101.sql.gz", ArtifactPlace.backupDir),
        (.file("db_20250102.sql.gz"), nil, "db_20250102.sql.gz", .oss),
        (.file("db_20250109.sql.gz"), nil, nil, nil),
        (.file("mms_20250104.db.gz"), nil, nil, nil),
        (.newest(source: "db"), nil, "db_20250104.sql.gz.age", .oss),
        (.onOrBefore(source: "db", day: ArtifactStamp(year: 2025, month: 1, day: 3)), nil, "db_20250103.sql.gz", .backupDir),
        (.onOrBefore(source: "db", day: ArtifactStamp(year: 2025, month: 1, day: 2)), nil, "db_20250102.sql.gz", .oss),
        (.onOrBefore(source: "db", day: ArtifactStamp(year: 2024, month: 12, day: 31)), nil, nil, nil),
        (.newest(source: "mms"), nil, "mms_20250105_020000.db.gz", .oss),
        (.newest(source: "mms"), ArtifactKind.postgres, nil, nil),
        (.newest(source: "nosuch"), nil, nil, nil),
    ] as [(ArtifactQuery, ArtifactKind?, String?, ArtifactPlace?)])
    func choose(query: ArtifactQuery, kind: ArtifactKind?, name: String?, place: ArtifactPlace?) {
        let choice = ArtifactLookup.choose(query, kind: kind, local: Self.local, remote: Self.remote)
        #expect(choice?.fileName == name)
        #expect(choice?.place == place)
    }

    @Test("the same backup in both places comes from backup_dir; a plain copy beats an encrypted one of the same name")
    func preferences() {
        #expect(ArtifactLookup.choose(.newest(source: "db"), local: ["db_20250101.sql.gz"], remote: ["db_20250101.sql.gz"])
                == ArtifactChoice(fileName: "db_20250101.sql.gz", place: .backupDir))
        #expect(ArtifactLookup.choose(.newest(source: "db"), local: [], remote: ["db_20250101.sql.gz.age", "db_20250101.sql.gz"])?.fileName
                == "db_20250101.sql.gz")
    }

    static let db = SourceConfig(name: "db", target: .postgres(connection: "postgresql://app@h/mms"))
    static let mms = SourceConfig(name: "mms", target: .sqlite(path: "/data/mms.db"))
    static let uploads = SourceConfig(name: "uploads", target: .files(paths: ["/srv/uploads"]))
    static let two = SourceConfig(name: "two", target: .files(paths: ["/a", "/b"]))

    /// (kind, --to, $DATABASE_URL, the config's source) → target and origin.
    @Test(arguments: [
        (ArtifactKind.postgres, "postgresql://x/y", "postgresql://env/db", db, "postgresql://x/y", RestoreTargetOrigin.option),
        // SPEC.md: the configured source the artifact came from first, then $DATABASE_URL.
        (.postgres, nil, "postgresql://env/db", db, "postgresql://app@h/mms", .configSource(name: "db", file: "/etc/v.yml")),
        (.postgres, nil, "postgresql://env/db", nil, "postgresql://env/db", .databaseURL),
        (.postgres, nil, "postgresql://env/db", mms, "postgresql://env/db", .databaseURL),
        (.postgres, nil, "", db, "postgresql://app@h/mms", .configSource(name: "db", file: "/etc/v.yml")),
        (.postgres, nil, nil, nil, nil, .manifest),
        (.postgres, nil, nil, mms, nil, .manifest),
        (.sqlite, nil, "postgresql://env/db", mms, "/data/mms.db", .configSource(name: "mms", file: "/etc/v.yml")),
        (.sqlite, "/tmp/x.db", nil, mms, "/tmp/x.db", .option),
        (.sqlite, nil, nil, nil, nil, .manifest),
        (.files, nil, nil, uploads, "/srv/uploads", .configSource(name: "uploads", file: "/etc/v.yml")),
        (.files, nil, nil, two, nil, .manifest),
    ] as [(ArtifactKind, String?, String?, SourceConfig?, String?, RestoreTargetOrigin)])
    func target(kind: ArtifactKind, explicit: String?, databaseURL: String?, source: SourceConfig?, target: String?,
                origin: RestoreTargetOrigin) {
        let chosen = RestoreTarget.choose(kind: kind, explicit: explicit, databaseURL: databaseURL, source: source,
                                          configFile: "/etc/v.yml")
        #expect(chosen == RestoreTarget(target: target, origin: origin))
    }

    /// (target exists, origin, --yes, terminal) → decision.
    @Test(arguments: [
        (false, RestoreTargetOrigin.configSource(name: "db", file: "f"), false, false, RestoreConfirmationDecision.proceed),
        (true, .configSource(name: "db", file: "f"), true, false, .proceed),
        (true, .configSource(name: "db", file: "f"), false, true, .ask),
        (true, .configSource(name: "db", file: "f"), false, false, .refuse),
        (true, .option, false, false, .proceed),
        (true, .databaseURL, false, false, .proceed),
        (true, .manifest, false, false, .proceed),
        (true, .option, false, true, .ask),
        (true, .option, true, true, .proceed),
    ] as [(Bool, RestoreTargetOrigin, Bool, Bool, RestoreConfirmationDecision)])
    func confirmation(exists: Bool, origin: RestoreTargetOrigin, yes: Bool, interactive: Bool, decision: RestoreConfirmationDecision) {
        #expect(RestoreTarget.decide(targetExists: exists, origin: origin, yes: yes, interactive: interactive) == decision)
    }
}
