@testable import Artifacts
import Foundation
import Testing
import TestSupport
import VaultopsCore

@Suite("One handler per artifact kind: lookup, formats, the shared preflight")
struct ArtifactHandlerTests {
    @Test("every kind has a handler serving that kind, which reads back the name backups write", arguments: ArtifactKind.allCases)
    func handlerOfEveryKind(_ kind: ArtifactKind) throws {
        let handler = kind.handler
        #expect(handler.kind == kind)
        #expect(handler.endings.first == ArtifactEnding("." + kind.fileExtension, gzipped: true))
        let name = ArtifactName.fileName(source: "app", kind: kind, stamp: ArtifactStamp(year: 2026, month: 1, day: 15))
        #expect(ArtifactFormat.of(fileName: name) == ArtifactFormat(kind: kind, gzipped: true))
    }

    @Test("the format is told from the name", arguments: [
        ("db_20260115.sql.gz", ArtifactFormat(kind: .postgres, gzipped: true)),
        ("dump.sql", ArtifactFormat(kind: .postgres, gzipped: false)),
        ("mms_20260115.db.gz", ArtifactFormat(kind: .sqlite, gzipped: true)),
        ("uploads_20260115.tar.gz", ArtifactFormat(kind: .files, gzipped: true)),
        ("old.tgz", ArtifactFormat(kind: .files, gzipped: true)),
    ])
    func formats(name: String, expected: ArtifactFormat) {
        #expect(ArtifactFormat.of(fileName: name) == expected)
    }

    @Test("names vaultops does not read have no format", arguments: [
        "db_20260115.sql.gz.partial", "db_20260115.sql.gz.manifest.json", "notes.txt", "data.db", "archive.zip", "",
    ])
    func noFormat(name: String) {
        #expect(ArtifactFormat.of(fileName: name) == nil)
    }

    @Test("messages list the endings of every kind, or of one")
    func endingsInMessages() {
        #expect(ArtifactFormat.expectedEndings == ".sql.gz, .sql, .db.gz or .tar.gz")
        #expect(ArtifactKind.postgres.handler.expectedEndings == ".sql.gz or .sql")
        #expect(ArtifactKind.files.handler.expectedEndings == ".tar.gz")
        #expect(ArtifactError.unknownArtifact(path: "x.zip").description
                == "x.zip: not a vaultops artifact (expected a name ending in .sql.gz, .sql, .db.gz or .tar.gz)")
    }

    @Test("preflight refuses what is not a finished artifact of the kind asked for, naming why")
    func preflightRefusals() throws {
        let dir = try TempDir("preflight")
        try Data("x".utf8).write(to: dir.file("db_20260115.sql.gz.partial"))
        try Data("x".utf8).write(to: dir.file("mms_20260115.db.gz"))
        try FileManager.default.createDirectory(at: dir.file("folder.sql.gz"), withIntermediateDirectories: true)
        let cases: [(String, ArtifactKind?, String, ArtifactFormat?)] = [
            ("db_20260115.sql.gz.partial", nil, "an unfinished backup (.partial): it was never completed and is not a backup", nil),
            ("notes.txt", nil, "not a vaultops artifact (expected .sql.gz, .sql, .db.gz or .tar.gz)", nil),
            ("mms_20260115.db.gz", .postgres, "not a PostgreSQL dump (expected .sql.gz or .sql)", nil),
            ("missing.sql.gz", nil, "no such file", ArtifactFormat(kind: .postgres, gzipped: true)),
            ("folder.sql.gz", .postgres, "no such file", ArtifactFormat(kind: .postgres, gzipped: true)),
        ]
        for (name, kind, reason, format) in cases {
            let refusal = #expect(throws: ArtifactPreflight.Refusal.self, "\(name)") {
                try ArtifactPreflight.check(dir.file(name), kind: kind)
            }
            #expect(refusal?.reason == reason, "\(name)")
            #expect(refusal?.format == format, "\(name)")
        }
    }

    @Test("preflight reads the manifest beside the artifact, and says when it cannot")
    func preflightManifest() throws {
        let dir = try TempDir("preflight")
        let artifact = dir.file("mms_20260115.db.gz")
        try Data("x".utf8).write(to: artifact)
        let alone = try ArtifactPreflight.check(artifact)
        #expect(alone.format == ArtifactFormat(kind: .sqlite, gzipped: true) && alone.manifest == nil && alone.manifestProblem == nil)
        try Data("{ not json".utf8).write(to: Manifest.sidecarURL(for: artifact))
        let damaged = try ArtifactPreflight.check(artifact, kind: .sqlite)
        #expect(damaged.manifest == nil)
        #expect(damaged.manifestProblem?.hasPrefix("manifest unreadable: ") == true, "\(damaged.manifestProblem ?? "nil")")
    }
}
