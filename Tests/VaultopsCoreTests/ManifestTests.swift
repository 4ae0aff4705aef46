import Foundation
import Testing
import TestSupport
@testable import VaultopsCore

@Suite("Manifest")
struct ManifestTests {
    static let golden = "Fixtures/manifest/db_20250101.sql.gz.manifest.json"

    static func sample() -> Manifest {
        Manifest(kind: .postgres, source: "postgresql://app:S3cret%40x@db.internal:5432/mms?sslmode=require",
                 createdAt: Date(timeIntervalSince1970: 1_735_696_800.75), artifact: "db_20250101.sql.gz",
                 sizeBytes: 1_048_576, sha256: String(repeating: "ab", count: 32), uncompressedBytes: 8_388_608,
                 durationSeconds: 12.5, serverVersion: "PostgreSQL 15.18",
                 tables: ["public.work_orders": 1200, "public.assets": 35, "audit.log": 0],
                 originalPath: nil, extra: ["pg_dump_compatible": "yes"])
    }

    @Test func encodesTheGoldenShape() throws {
        let text = String(decoding: try Self.sample().encoded(), as: UTF8.self)
        let expected = try Golden.expected(text, at: Self.golden)
        #expect(text == expected)
        #expect(!expected.contains("S3cret"))
        #expect(expected.contains("\"created_at\" : \"2025-01-01T02:00:00Z\""))
    }

    @Test func roundTrips() throws {
        var manifest = Self.sample()
        manifest.originalPath = "/data/mms.db"
        manifest.extra = nil
        let reloaded = try Manifest.decode(try manifest.encoded(), file: "x.manifest.json")
        #expect(reloaded == manifest)
        #expect(reloaded.createdAt == Date(timeIntervalSince1970: 1_735_696_800))
    }

    @Test func loadsFromDiskBesideTheArtifact() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vaultops-manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let artifact = dir.appendingPathComponent("db_20250101.sql.gz")
        let sidecar = Manifest.sidecarURL(for: artifact)
        #expect(sidecar.lastPathComponent == "db_20250101.sql.gz.manifest.json")
        #expect(sidecar.deletingLastPathComponent().path == dir.path)
        try Self.sample().encoded().write(to: sidecar)
        #expect(try Manifest.load(from: sidecar) == Self.sample())
    }

    @Test func sourceIsRedactedEvenWhenSetDirectly() throws {
        var manifest = Self.sample()
        manifest.source = "host=db password='p w' user=app"
        let text = String(decoding: try manifest.encoded(), as: UTF8.self)
        #expect(text.contains("\"source\" : \"host=db password=*** user=app\""))
        #expect(!text.contains("p w"))
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var label: String
        var mutate: @Sendable (inout [String: Any]) -> Void
        var fragment: String
        var damaged: Bool = true
        var testDescription: String { label }
    }

    static let badCases: [BadCase] = [
        BadCase(label: "missing sha256", mutate: { $0["sha256"] = nil }, fragment: "missing field 'sha256'"),
        BadCase(label: "short sha256", mutate: { $0["sha256"] = "abc" }, fragment: "sha256 'abc' is not 64 lowercase hex digits"),
        BadCase(label: "size as text", mutate: { $0["size_bytes"] = "big" }, fragment: "field 'size_bytes' should be an integer"),
        BadCase(label: "unknown kind", mutate: { $0["kind"] = "mysql" }, fragment: "field 'kind'"),
        BadCase(label: "bad time", mutate: { $0["created_at"] = "yesterday" }, fragment: "'yesterday' is not an ISO 8601"),
        BadCase(label: "negative size", mutate: { $0["size_bytes"] = -1 }, fragment: "size_bytes -1 is negative"),
        BadCase(label: "path as artifact", mutate: { $0["artifact"] = "../x.sql.gz" }, fragment: "is not a file name"),
        BadCase(label: "newer format", mutate: { $0["format_version"] = 2 }, fragment: "format_version 2 is newer", damaged: false),
        BadCase(label: "negative rows", mutate: { $0["tables"] = ["t": -3] }, fragment: "tables['t'] has a negative row count"),
    ]

    @Test(arguments: badCases)
    func rejectsBadManifests(_ c: BadCase) throws {
        var object = try #require(try JSONSerialization.jsonObject(with: try Self.sample().encoded()) as? [String: Any])
        c.mutate(&object)
        let data = try JSONSerialization.data(withJSONObject: object)
        let error = #expect(throws: ManifestError.self) { try Manifest.decode(data, file: "/b/db.sql.gz.manifest.json") }
        #expect(error?.description.hasPrefix("manifest /b/db.sql.gz.manifest.json: ") == true)
        #expect(error?.description.contains(c.fragment) == true, "\(error?.description ?? "")")
        #expect(error.map { VaultopsExitCode.for($0) } == (c.damaged ? .verificationFailed : .failure))
    }

    @Test func rejectsNonJSONAndMissingFiles() {
        let bad = #expect(throws: ManifestError.self) { try Manifest.decode(Data("{not json".utf8), file: "m.json") }
        #expect(bad?.description == "manifest m.json: it is not valid JSON")
        let missing = #expect(throws: ManifestError.self) {
            try Manifest.load(from: URL(fileURLWithPath: "/nonexistent/\(UUID().uuidString).manifest.json"))
        }
        #expect(missing?.description.hasSuffix("it does not exist") == true)
        #expect(missing.map { VaultopsExitCode.for($0) } == .failure)
    }

    @Test(arguments: [
        ("2025-01-01T02:00:00Z", 1_735_696_800.0),
        ("2025-01-01T10:00:00+08:00", 1_735_696_800.0),
        ("2025-01-01T02:00:00.500Z", 1_735_696_800.5),
    ])
    func parsesTimestamps(text: String, seconds: Double) throws {
        let date = try #require(Manifest.parseTimestamp(text))
        #expect(date.timeIntervalSince1970 == seconds)
        #expect(Manifest.timestamp(date) == "2025-01-01T02:00:00Z")
    }

    @Test func durationKeepsMilliseconds() throws {
        var manifest = Self.sample()
        manifest = Manifest(kind: .sqlite, source: "/data/mms.db", createdAt: manifest.createdAt, artifact: "mms_20250101.db.gz",
                            sizeBytes: 1, sha256: manifest.sha256, uncompressedBytes: 1, durationSeconds: 12.300000000000001)
        let text = String(decoding: try manifest.encoded(), as: UTF8.self)
        #expect(text.contains("\"duration_seconds\" : 12.3,"))
        #expect(!text.contains("\"tables\""))
        #expect(try Manifest.decode(try manifest.encoded(), file: "m") == manifest)
    }

    @Test func versionIsSet() {
        #expect(VaultopsVersion.current == "0.1.0")
        #expect(Self.sample().toolVersion == "0.1.0")
    }
}
