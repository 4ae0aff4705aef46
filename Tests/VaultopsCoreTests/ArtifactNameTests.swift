import Foundation
import Testing
@testable import VaultopsCore

@Suite("ArtifactName")
struct ArtifactNameTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    /// 2025-01-01T18:30:05Z, which is already 2025-01-02 02:30:05 in Shanghai.
    static let instant = Date(timeIntervalSince1970: 1_735_756_205)

    struct NameCase: Sendable, CustomTestStringConvertible {
        var source: String
        var kind: ArtifactKind
        var timeZone: TimeZone
        var existing: [String]
        var expected: String
        var testDescription: String { "\(expected) with \(existing.count) existing" }
    }

    static let nameCases: [NameCase] = [
        NameCase(source: "db", kind: .postgres, timeZone: utc, existing: [], expected: "db_20250101.sql.gz"),
        NameCase(source: "db", kind: .postgres, timeZone: shanghai, existing: [], expected: "db_20250102.sql.gz"),
        NameCase(source: "mms", kind: .sqlite, timeZone: utc, existing: [], expected: "mms_20250101.db.gz"),
        NameCase(source: "work_order_uploads", kind: .files, timeZone: utc, existing: [],
                 expected: "work_order_uploads_20250101.tar.gz"),
        // Another kind or another source with the same date is no clash.
        NameCase(source: "db", kind: .postgres, timeZone: utc, existing: ["db_20250101.tar.gz", "db2_20250101.sql.gz"],
                 expected: "db_20250101.sql.gz"),
        NameCase(source: "db", kind: .postgres, timeZone: utc, existing: ["db_20250101.sql.gz"],
                 expected: "db_20250101_183005.sql.gz"),
        NameCase(source: "db", kind: .postgres, timeZone: shanghai, existing: ["db_20250102.sql.gz"],
                 expected: "db_20250102_023005.sql.gz"),
        // Leftovers of a crashed run (partial or orphaned manifest) also hold the name.
        NameCase(source: "db", kind: .postgres, timeZone: utc, existing: ["db_20250101.sql.gz.partial"],
                 expected: "db_20250101_183005.sql.gz"),
        NameCase(source: "db", kind: .postgres, timeZone: utc, existing: ["db_20250101.sql.gz.manifest.json"],
                 expected: "db_20250101_183005.sql.gz"),
        NameCase(source: "db", kind: .postgres, timeZone: utc, existing: ["db_20250101.sql.gz.manifest.json.partial"],
                 expected: "db_20250101_183005.sql.gz"),
        NameCase(source: "db", kind: .postgres, timeZone: utc,
                 existing: ["db_20250101.sql.gz", "db_20250101_183005.sql.gz"], expected: "db_20250101_183005-2.sql.gz"),
        NameCase(source: "db", kind: .postgres, timeZone: utc,
                 existing: ["db_20250101.sql.gz", "db_20250101_183005.sql.gz", "db_20250101_183005-2.sql.gz.partial"],
                 expected: "db_20250101_183005-3.sql.gz"),
    ]

    @Test(arguments: nameCases)
    func chooseName(_ c: NameCase) throws {
        let existing = Set(c.existing)
        let name = try ArtifactName.chooseName(source: c.source, kind: c.kind, at: Self.instant, timeZone: c.timeZone) {
            existing.contains($0)
        }
        #expect(name == c.expected)
        #expect(!existing.contains(name))
        let parsed = try #require(ArtifactName.parse(name))
        #expect(parsed.source == c.source)
        #expect(parsed.kind == c.kind)
        #expect(parsed.artifactFileName == name)
    }

    @Test func chooseNameInDirectoryNeverReusesAName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vaultops-names-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var names: [String] = []
        for _ in 0..<5 {
            let name = try ArtifactName.chooseName(source: "db", kind: .postgres, at: Self.instant, timeZone: Self.utc, in: dir)
            #expect(!names.contains(name))
            names.append(name)
            #expect(FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data()))
        }
        #expect(names == ["db_20250101.sql.gz", "db_20250101_183005.sql.gz", "db_20250101_183005-2.sql.gz",
                          "db_20250101_183005-3.sql.gz", "db_20250101_183005-4.sql.gz"])
    }

    struct ParseCase: Sendable, CustomTestStringConvertible {
        var fileName: String
        var expected: ParsedArtifact?
        var testDescription: String { fileName }
    }

    static func stamp(_ y: Int, _ m: Int, _ d: Int, _ time: (Int, Int, Int)? = nil) -> ArtifactStamp {
        ArtifactStamp(year: y, month: m, day: d, time: time.map { ArtifactStamp.Time(hour: $0.0, minute: $0.1, second: $0.2) })
    }

    static let parseCases: [ParseCase] = [
        ParseCase(fileName: "db_20250101.sql.gz",
                  expected: ParsedArtifact(source: "db", kind: .postgres, stamp: stamp(2025, 1, 1), counter: nil,
                                           isManifest: false, isPartial: false)),
        ParseCase(fileName: "mms_20241231_235959.db.gz",
                  expected: ParsedArtifact(source: "mms", kind: .sqlite, stamp: stamp(2024, 12, 31, (23, 59, 59)),
                                           counter: nil, isManifest: false, isPartial: false)),
        ParseCase(fileName: "work_order_uploads_20250301.tar.gz.manifest.json",
                  expected: ParsedArtifact(source: "work_order_uploads", kind: .files, stamp: stamp(2025, 3, 1),
                                           counter: nil, isManifest: true, isPartial: false)),
        ParseCase(fileName: "db_20250101_010203-2.sql.gz.partial",
                  expected: ParsedArtifact(source: "db", kind: .postgres, stamp: stamp(2025, 1, 1, (1, 2, 3)),
                                           counter: 2, isManifest: false, isPartial: true)),
        ParseCase(fileName: "db_20250101_010203-12.sql.gz.manifest.json.partial",
                  expected: ParsedArtifact(source: "db", kind: .postgres, stamp: stamp(2025, 1, 1, (1, 2, 3)),
                                           counter: 12, isManifest: true, isPartial: true)),
        // Source names that look like stamps themselves.
        ParseCase(fileName: "a_20240101_20250101.sql.gz",
                  expected: ParsedArtifact(source: "a_20240101", kind: .postgres, stamp: stamp(2025, 1, 1), counter: nil,
                                           isManifest: false, isPartial: false)),
        ParseCase(fileName: "x_123456_20250101_120000.sql.gz",
                  expected: ParsedArtifact(source: "x_123456", kind: .postgres, stamp: stamp(2025, 1, 1, (12, 0, 0)),
                                           counter: nil, isManifest: false, isPartial: false)),
        ParseCase(fileName: "my.app-db_20240229.db.gz",
                  expected: ParsedArtifact(source: "my.app-db", kind: .sqlite, stamp: stamp(2024, 2, 29), counter: nil,
                                           isManifest: false, isPartial: false)),
        // Not ours.
        ParseCase(fileName: "db_20250101.sql", expected: nil),
        ParseCase(fileName: "db.sql.gz", expected: nil),
        ParseCase(fileName: "_20250101.sql.gz", expected: nil),
        ParseCase(fileName: "db_2025010.sql.gz", expected: nil),
        ParseCase(fileName: "db_20250230.sql.gz", expected: nil),
        ParseCase(fileName: "db_20230229.sql.gz", expected: nil),
        ParseCase(fileName: "db_20251301.sql.gz", expected: nil),
        ParseCase(fileName: "db_20250101_246000.sql.gz", expected: nil),
        ParseCase(fileName: "db_20250101_12000.sql.gz", expected: nil),
        ParseCase(fileName: "db_20250101_120000-1.sql.gz", expected: nil),
        ParseCase(fileName: "db_20250101_120000-02.sql.gz", expected: nil),
        ParseCase(fileName: "db_20250101_120000-.sql.gz", expected: nil),
        ParseCase(fileName: "d b_20250101.sql.gz", expected: nil),
        ParseCase(fileName: "db_20250101.sql.gz.bak", expected: nil),
        ParseCase(fileName: "README.md", expected: nil),
    ]

    @Test(arguments: parseCases)
    func parse(_ c: ParseCase) {
        let parsed = ArtifactName.parse(c.fileName)
        #expect(parsed == c.expected)
        if let parsed { #expect(parsed.fileName == c.fileName) }
    }

    @Test(arguments: ArtifactKind.allCases)
    func roundTrip(_ kind: ArtifactKind) throws {
        for source in ["db", "a_b_c", "x-1.2", "20250101", "a__b"] {
            for time in [nil, ArtifactStamp.Time(hour: 0, minute: 0, second: 0), ArtifactStamp.Time(hour: 23, minute: 5, second: 9)] {
                for counter in time == nil ? [nil] : [nil, 2, 37] as [Int?] {
                    let stamp = ArtifactStamp(year: 2026, month: 11, day: 21, time: time)
                    let name = ArtifactName.fileName(source: source, kind: kind, stamp: stamp, counter: counter)
                    let parsed = try #require(ArtifactName.parse(name), "\(name)")
                    #expect(parsed.source == source)
                    #expect(parsed.kind == kind)
                    #expect(parsed.stamp == stamp)
                    #expect(parsed.counter == counter)
                    #expect(parsed.fileName == name)
                }
            }
        }
    }

    @Test func stampOrderPutsDateOnlyFirst() {
        let day = Self.stamp(2025, 1, 1)
        let later = Self.stamp(2025, 1, 1, (0, 0, 1))
        let next = Self.stamp(2025, 1, 2)
        #expect(day < later)
        #expect(later < next)
        #expect(!(later < day))
        #expect(Self.stamp(2025, 1, 1, (10, 0, 0)).date(in: Self.utc) == Date(timeIntervalSince1970: 1_735_725_600))
    }

    struct SourceCase: Sendable, CustomTestStringConvertible {
        var value: String
        var fragment: String?
        var testDescription: String { "'\(value)'" }
    }

    static let sourceCases: [SourceCase] = [
        SourceCase(value: "db", fragment: nil),
        SourceCase(value: "My.App_db-2", fragment: nil),
        SourceCase(value: "", fragment: "empty"),
        SourceCase(value: "a/b", fragment: "'/'"),
        SourceCase(value: "a b", fragment: "U+20"),
        SourceCase(value: "naïve", fragment: "'ï'"),
        SourceCase(value: "..", fragment: "not a name"),
        SourceCase(value: "x\n", fragment: "U+A"),
    ]

    @Test(arguments: sourceCases)
    func validateSource(_ c: SourceCase) {
        if let fragment = c.fragment {
            let error = #expect(throws: ArtifactNameError.self) { try ArtifactName.validate(source: c.value) }
            #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "")")
            #expect(error?.description.contains("'\(c.value)'") == true)
            #expect(error.map { VaultopsExitCode.for($0) } == .usage)
        } else {
            #expect(throws: Never.self) { try ArtifactName.validate(source: c.value) }
        }
    }

    @Test func chooseNameRejectsBadSource() {
        #expect(throws: ArtifactNameError.self) {
            try ArtifactName.chooseName(source: "a/b", kind: .files, at: Self.instant) { _ in false }
        }
    }

    @Test(arguments: [
        (ArtifactKind.postgres, "postgresql://u:p@h/app", "db"),
        (.sqlite, "/data/mms.db", "mms"),
        (.sqlite, "mms.db", "mms"),
        (.sqlite, "/data/app.v2.sqlite3", "app.v2"),
        (.sqlite, "/data/plain", "plain"),
        (.sqlite, "/data/.hidden", ".hidden"),
        (.files, "/opt/emaintenance/data/work-order-uploads", "work-order-uploads"),
        (.files, "/opt/data/uploads/", "uploads"),
        (.files, "uploads", "uploads"),
        (.files, "/srv/my files", "my_files"),
        (.files, "/", "backup"),
    ])
    func defaultSource(kind: ArtifactKind, path: String, expected: String) throws {
        let name = ArtifactName.defaultSource(kind: kind, path: path)
        #expect(name == expected)
        try ArtifactName.validate(source: name)
    }
}

@Suite("ArtifactName ordering")
struct ArtifactOrderTests {
    @Test func chronologicalOrderFollowsStampThenCounter() throws {
        let names = ["db_20250102.sql.gz", "db_20250101_120000-2.sql.gz", "db_20250101.sql.gz",
                     "db_20250101_120000.sql.gz", "db_20241231_235959.sql.gz", "db_20250101_120000-10.sql.gz"]
        let parsed = try names.map { try #require(ArtifactName.parse($0)) }
        #expect(parsed.sorted(by: ParsedArtifact.chronological).map(\.fileName) == [
            "db_20241231_235959.sql.gz", "db_20250101.sql.gz", "db_20250101_120000.sql.gz",
            "db_20250101_120000-2.sql.gz", "db_20250101_120000-10.sql.gz", "db_20250102.sql.gz",
        ])
        let shanghai = TimeZone(identifier: "Asia/Shanghai")!
        #expect(parsed[1].date(in: shanghai) == Date(timeIntervalSince1970: 1_735_704_000))
    }
}
