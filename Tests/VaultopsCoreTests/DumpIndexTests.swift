import Foundation
import Testing
@testable import VaultopsCore

/// The manifest's `dump_index`: written, read back, and refused when it cannot describe the file.
@Suite("Dump index")
struct DumpIndexTests {
    static func manifest(_ index: DumpIndex?) -> Manifest {
        var m = Manifest(kind: .postgres, source: "postgresql://db/x", createdAt: Date(timeIntervalSince1970: 1_735_689_600),
                         artifact: "db_20250101.sql.gz", sizeBytes: 1000, sha256: String(repeating: "a", count: 64),
                         uncompressedBytes: 5000, durationSeconds: 1)
        m.dumpIndex = index
        return m
    }

    static let good = DumpIndex(blocks: [[10, 0], [400, 2000]], data: [
        .init(kind: "TABLE DATA", schema: "public", name: "t", start: 100, end: 3000),
        .init(kind: "TABLE DATA", schema: "public", name: "u", start: 3000, end: 4000),
    ])

    @Test("It round-trips under snake_case keys; a manifest without one reads as before")
    func roundTrip() throws {
        let data = try Self.manifest(Self.good).encoded()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"dump_index\" : {") && text.contains("\"blocks\" : [") && text.contains("\"start\" : 100"))
        #expect(try Manifest.decode(data, file: "m") == Self.manifest(Self.good))
        let without = try Self.manifest(nil).encoded()
        #expect(!String(decoding: without, as: UTF8.self).contains("dump_index"))
        #expect(try Manifest.decode(without, file: "m").dumpIndex == nil)
    }

    @Test("An index that cannot describe the file makes the manifest damaged", arguments: [
        DumpIndex(blocks: [[10, 0], [5, 100]], data: []),
        DumpIndex(blocks: [[10, 0], [2000, 100]], data: []),
        DumpIndex(blocks: [[10, 0], [400, 9000]], data: []),
        DumpIndex(blocks: [[10]], data: []),
        DumpIndex(blocks: [], data: [.init(kind: "TABLE DATA", schema: nil, name: "t", start: 100, end: 9000)]),
        DumpIndex(blocks: [], data: [.init(kind: "TABLE DATA", schema: nil, name: "t", start: 100, end: 200),
                                     .init(kind: "TABLE DATA", schema: nil, name: "u", start: 150, end: 300)]),
    ])
    func damaged(index: DumpIndex) throws {
        let data = try Self.manifest(index).encoded()
        #expect(throws: ManifestError.self) { try Manifest.decode(data, file: "m") }
    }
}
