import BackupJobs
import Foundation
import ObjectStorage
import Testing
import TestSupport

@Suite("What an upload command line asks for")
struct FileUploadTests {
    @Test("an artifact and its manifest given together go as one item; other files alone, under their names")
    func pairsArtifactsWithManifests() throws {
        let dir = try TempDir("upload-plan")
        let names = ["db_20250101_000000.sql.gz", "db_20250101_000000.sql.gz.manifest.json", "notes.txt", "alone.json.manifest.json"]
        for name in names { try Data("x".utf8).write(to: dir.file(name)) }
        let paths = names.map { dir.file($0).path }
        let plan = try FileUpload.plan(paths, to: OSSLocation(bucket: "b", key: "nightly/"), mirrorOnly: false)
        #expect(plan == .files([
            .init(file: paths[0], key: "nightly/db_20250101_000000.sql.gz", manifest: paths[1]),
            .init(file: paths[2], key: "nightly/notes.txt", manifest: nil),
            .init(file: paths[3], key: "nightly/alone.json.manifest.json", manifest: nil),
        ]))
    }

    @Test("one file goes to an exact key; several need a prefix")
    func exactKey() throws {
        let dir = try TempDir("upload-plan")
        let a = dir.file("a"), b = dir.file("b")
        for file in [a, b] { try Data("x".utf8).write(to: file) }
        #expect(try FileUpload.plan([a.path], to: OSSLocation(bucket: "b", key: "k/name"), mirrorOnly: false)
            == .files([.init(file: a.path, key: "k/name", manifest: nil)]))
        #expect(throws: ObjectStorageError.self) {
            try FileUpload.plan([a.path, b.path], to: OSSLocation(bucket: "b", key: "k/name"), mirrorOnly: false)
        }
    }

    @Test("folders are mirrored; folders mixed with files, or mirror flags with files, are refused")
    func foldersAndFiles() throws {
        let dir = try TempDir("upload-plan")
        let folder = dir.file("folder"), file = dir.file("file")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: file)
        let destination = OSSLocation(bucket: "b", key: "p/")
        #expect(try FileUpload.plan([folder.path], to: destination, mirrorOnly: true) == .mirror([folder.path]))
        #expect(throws: FileUpload.RequestError.self) { try FileUpload.plan([folder.path, file.path], to: destination, mirrorOnly: false) }
        #expect(throws: FileUpload.RequestError.self) { try FileUpload.plan([file.path], to: destination, mirrorOnly: true) }
        #expect(throws: ObjectStorageError.self) {
            try FileUpload.plan([dir.file("missing").path], to: destination, mirrorOnly: false)
        }
    }
}
