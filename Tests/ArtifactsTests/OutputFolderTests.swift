import Artifacts
import Foundation
import Testing
import TestSupport

@Suite("output folders are created when their parent exists")
struct OutputFolderTests {
    @Test("a missing folder is created with mode 0700; a missing parent is an error naming it")
    func prepare() throws {
        let dir = try TempDir("outdir")
        let out = dir.file("backups")
        try ArtifactWriter.prepareOutputDirectory(out)
        let attributes = try FileManager.default.attributesOfItem(atPath: out.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        try ArtifactWriter.prepareOutputDirectory(out)
        let deep = dir.file("unmounted/backups")
        let error = #expect(throws: ArtifactError.self) { try ArtifactWriter.prepareOutputDirectory(deep) }
        #expect(error?.description.contains("its parent \(dir.file("unmounted").path)") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: dir.file("unmounted").path))
    }
}
