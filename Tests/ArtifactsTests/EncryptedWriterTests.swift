import Archive
import Foundation
import Testing
import TestSupport
import VaultopsCore
@testable import Artifacts

@Suite("ArtifactWriter with encryption")
struct EncryptedWriterTests {
    static func options(_ out: URL) throws -> BackupOptions {
        let recipient = IdentityGeneration.text().recipient
        return BackupOptions(outputDirectory: out, jobs: 2,
                             encryption: try EncryptionRecipients.resolve(EncryptionConfig(recipients: [recipient])))
    }

    @Test("a producer that fails midway leaves nothing behind: no artifact, no manifest, no .partial")
    func failedProducerLeavesNothing() throws {
        let dir = try TempDir("enc-writer")
        struct Boom: Error {}
        let chunk = [UInt8]((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })
        #expect(throws: Boom.self) {
            _ = try ArtifactWriter.write(kind: .files, sourceName: "x", options: try Self.options(dir.url)) { sink in
                // Enough for the encryptor's thread to be busy writing when the producer fails.
                for _ in 0..<12 { try sink.write(chunk) }
                throw Boom()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("the manifest's size and SHA-256 are the encrypted file's; its name ends in .age; recipients recorded")
    func manifestDescribesTheEncryptedFile() throws {
        let dir = try TempDir("enc-writer")
        let options = try Self.options(dir.url)
        let result = try ArtifactWriter.write(kind: .files, sourceName: "x", options: options) { sink in
            try sink.write(Array(repeating: 7, count: 300_000))
            return ProducedContent(source: "test")
        }
        #expect(result.artifact.lastPathComponent.hasSuffix(".tar.gz.age"))
        #expect(result.manifest.sha256 == (try sha256Hex(ofFile: result.artifact.path)))
        #expect(result.manifest.sizeBytes == Int64(try Data(contentsOf: result.artifact).count))
        #expect(result.manifest.uncompressedBytes == 300_000)
        #expect(result.manifest.encryption?.recipients == options.encryption?.described)
        #expect(try Data(contentsOf: result.artifact).starts(with: Array("age-encryption.org/v1\n".utf8)))
    }
}
