import Foundation
import ObjectStorage
import Storage
import Testing
import TestSupport

/// The storage interface's contract, one table of cases run against every implementation: a local folder and
/// an OSS prefix on the emulator.
@Suite("StorageBackend contract (local folder and OSS emulator)")
struct StorageBackendContractTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case local, oss
        var testDescription: String { rawValue }
    }

    /// A fresh, empty backend of `kind`; the folder (or nothing) to keep alive while it is used.
    static func backend(_ kind: Kind, _ label: String) throws -> (any StorageBackend, TempDir) {
        let dir = try TempDir("storage-\(label)")
        switch kind {
        case .local:
            let root = dir.file("root")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            return (LocalFolderBackend(path: root.path), dir)
        case .oss:
            let client = OSSClient(configuration: try OSSEmulator.configuration())
            return (OSSBackend(client: client, bucket: try OSSEmulator.freshBucket(label), prefix: "root"), dir)
        }
    }

    @Test("how reports name a backend: location, display location, key prefix and folder names")
    func reportNaming() throws {
        let (local, dir) = try Self.backend(.local, "naming")
        let root = dir.file("root").standardizedFileURL.path
        #expect(local.location == root + "/" && local.displayLocation == root && local.keyPrefix == "")
        #expect(local.displayName(of: StorageEntry(name: "old/", size: 0, modified: nil, kind: .folder)) == "old")
        #expect(local.displayName(of: StorageEntry(name: "a.gz", size: 1, modified: nil)) == "a.gz")
        let (oss, _) = try Self.backend(.oss, "naming")
        #expect(oss.location.hasSuffix("/root/") && oss.displayLocation == oss.location && oss.keyPrefix == "root/")
        #expect(oss.displayName(of: StorageEntry(name: "old/", size: 0, modified: nil, kind: .folder)) == "old/")
    }

    @Test("save then stat and load (whole, ranges, clamped ranges) give back the bytes and their CRC-64", arguments: Kind.allCases)
    func saveLoadRanges(kind: Kind) throws {
        let (backend, dir) = try Self.backend(kind, "ranges")
        let bytes = testBytes(300_000, seed: 3)
        let file = dir.file("in.bin")
        try bytes.write(to: file)
        let saved = try backend.save("a/b.bin", from: file, options: SaveOptions(), progress: nil)
        #expect(saved.size == 300_000)
        #expect(saved.crc64 == CRC64.checksum(bytes))
        let cases: [(ClosedRange<Int64>?, Range<Int>)] = [
            (nil, 0..<300_000), (0...0, 0..<1), (10...19, 10..<20), (299_990...299_999, 299_990..<300_000),
            (299_990...400_000, 299_990..<300_000),
        ]
        for (range, expected) in cases {
            #expect(try backend.load("a/b.bin", range: range) == bytes.subdata(in: expected), "range \(String(describing: range))")
        }
        let entry = try backend.stat("a/b.bin")
        #expect(entry.name == "a/b.bin" && entry.size == 300_000 && entry.kind == .object)
        #expect(entry.modified != nil)
        if kind == .oss { #expect(entry.crc64 == CRC64.checksum(bytes)) }

        let out = dir.file("out.bin")
        let loaded = try backend.load("a/b.bin", to: out, progress: nil)
        #expect(loaded.size == 300_000 && loaded.crc64 == CRC64.checksum(bytes))
        #expect(try Data(contentsOf: out) == bytes)
        #expect(!FileManager.default.fileExists(atPath: out.path + ".partial"))
    }

    @Test("save without overwrite never replaces an object; with overwrite it does", arguments: Kind.allCases)
    func overwrite(kind: Kind) throws {
        let (backend, _) = try Self.backend(kind, "overwrite")
        _ = try backend.save("m.json", data: Data("one".utf8), options: SaveOptions())
        #expect(throws: (any Error).self) { try backend.save("m.json", data: Data("two".utf8), options: SaveOptions()) }
        #expect(try backend.load("m.json", range: nil) == Data("one".utf8))
        let saved = try backend.save("m.json", data: Data("three".utf8), options: SaveOptions(overwrite: true))
        #expect(saved.size == 5 && saved.crc64 == CRC64.checksum(Data("three".utf8)))
        #expect(try backend.load("m.json", range: nil) == Data("three".utf8))
    }

    @Test("list: recursive lists every object under the prefix; flat lists one level with sub-folders", arguments: Kind.allCases)
    func list(kind: Kind) throws {
        let (backend, _) = try Self.backend(kind, "list")
        for name in ["db_1.sql.gz", "db_2.sql.gz", "mms_1.db.gz", "sub/deeper.sql.gz", "sub/x/y.bin"] {
            _ = try backend.save(name, data: Data(name.utf8), options: SaveOptions())
        }
        let cases: [(String, Bool, [String])] = [
            ("", true, ["db_1.sql.gz", "db_2.sql.gz", "mms_1.db.gz", "sub/deeper.sql.gz", "sub/x/y.bin"]),
            ("", false, ["db_1.sql.gz", "db_2.sql.gz", "mms_1.db.gz", "sub/"]),
            ("db_", true, ["db_1.sql.gz", "db_2.sql.gz"]),
            ("sub/", false, ["sub/deeper.sql.gz", "sub/x/"]),
            ("sub/", true, ["sub/deeper.sql.gz", "sub/x/y.bin"]),
            ("none", true, []),
        ]
        for (prefix, recursive, expected) in cases {
            let entries = try backend.list(prefix: prefix, recursive: recursive)
            #expect(entries.map(\.name) == expected, "prefix '\(prefix)' recursive \(recursive)")
            #expect(entries.allSatisfy { $0.kind == ($0.name.hasSuffix("/") ? .folder : .object) })
        }
        #expect(try backend.list(prefix: "db_1", recursive: true).first?.size == Int64("db_1.sql.gz".utf8.count))
    }

    @Test("remove is idempotent, one at a time and in batches", arguments: Kind.allCases)
    func removeIdempotent(kind: Kind) throws {
        let (backend, _) = try Self.backend(kind, "remove")
        for name in ["a", "b", "c", "d/e"] { _ = try backend.save(name, data: Data(name.utf8), options: SaveOptions()) }
        try backend.remove("a")
        try backend.remove("a")
        try backend.remove(["b", "d/e", "never-there"])
        try backend.remove(["b", "d/e"])
        #expect(try backend.list(prefix: "", recursive: true).map(\.name) == ["c"])
        #expect(try backend.exists("c") && !(try backend.exists("a")))
    }

    @Test("a missing object is an error that isNotFound recognises, for stat, load and download", arguments: Kind.allCases)
    func missingObject(kind: Kind) throws {
        let (backend, dir) = try Self.backend(kind, "missing")
        let calls: [(String, () throws -> Void)] = [
            ("stat", { _ = try backend.stat("nope") }),
            ("load", { _ = try backend.load("nope", range: nil) }),
            ("load range", { _ = try backend.load("nope", range: 0...9) }),
            ("load to file", { _ = try backend.load("nope", to: dir.file("nope"), progress: nil) }),
        ]
        for (label, call) in calls {
            do {
                try call()
                Issue.record("\(label) of a missing object succeeded")
            } catch {
                #expect(backend.isNotFound(error), "\(label): \(error)")
                #expect(String(describing: error).contains("nope"), "\(label) names the object: \(error)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("nope").path))
    }
}
