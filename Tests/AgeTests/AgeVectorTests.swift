import Age
import Archive
import Foundation
import Testing
import TestSupport

/// One vector of the age test suite, as `scripts/import-age-vectors` writes it.
struct AgeVector: Decodable, Sendable, CustomStringConvertible {
    let name: String
    let expect: String
    let payloadSHA256: String?
    let identities: [String]
    let passphrases: [String]
    let comment: String
    let file: String
    var description: String { name }
}

struct AgeVectorIndex: Decodable {
    struct Excluded: Decodable { let name: String; let reason: String }
    let source: String
    let vectors: [AgeVector]
    let excluded: [Excluded]
}

/// Where the imported vectors are: `VAULTOPS_AGE_VECTORS`, else `age-vectors` in the `shared/` folder beside the
/// repository (the C2SP/CCTV data is not committed to this repository).
enum AgeVectors {
    static var folder: URL {
        if let path = ProcessInfo.processInfo.environment["VAULTOPS_AGE_VECTORS"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return Golden.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/age-vectors")
    }

    static func index() throws -> AgeVectorIndex {
        let url = folder.appendingPathComponent("vectors.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TestSupportError("""
                no age test vectors at \(url.path): run scripts/import-age-vectors on C2SP/CCTV's age/testdata \
                into that folder, or set VAULTOPS_AGE_VECTORS
                """)
        }
        return try JSONDecoder().decode(AgeVectorIndex.self, from: data)
    }

    /// The vectors, or one placeholder whose test then fails naming the missing folder.
    static let all: [AgeVector] = (try? index().vectors) ?? [
        AgeVector(name: "missing", expect: "", payloadSHA256: nil, identities: [], passphrases: [], comment: "",
                  file: ""),
    ]

    static func bytes(of vector: AgeVector) throws -> [UInt8] {
        let path = folder.appendingPathComponent(vector.file).path
        if vector.file.hasSuffix(".gz") { return try GzipReader(path: path).readAll() }
        return try FileSource(path: path).readAll()
    }
}

@Suite("age test vectors (C2SP/CCTV)")
struct AgeVectorTests {
    @Test("every imported vector gives its expected result and releases exactly the expected plaintext",
          arguments: AgeVectors.all)
    func vector(_ vector: AgeVector) throws {
        _ = try AgeVectors.index()  // fails loudly, naming the folder, when the vectors are missing
        let file = try AgeVectors.bytes(of: vector)
        var identities: [any AgeIdentity] = try vector.identities.map { try X25519Identity($0) }
        identities += try vector.passphrases.map { try ScryptIdentity(passphrase: $0) }
        // Small reads as well as large ones: chunk boundaries must not depend on how the input arrives.
        for step in [Int.max, 4096] {
            let result = decrypt(file, with: identities, step: step)
            #expect(expectation(of: result.error) == vector.expect, "\(vector.name): \(String(describing: result.error))")
            if let hash = vector.payloadSHA256 {
                #expect(sha256Hex(result.released) == hash, "\(vector.name): released plaintext differs")
            } else {
                #expect(result.released.isEmpty)
            }
        }
    }

    @Test("the import covers the X25519, scrypt, header, HMAC and stream vectors; only armor and hybrid are left out")
    func coverage() throws {
        let index = try AgeVectors.index()
        #expect(index.vectors.count >= 90)
        for excluded in index.excluded {
            #expect(excluded.name.hasPrefix("armor_") || excluded.name.hasPrefix("hybrid"), "\(excluded.name)")
        }
        let names = Set(index.vectors.map(\.name))
        for required in ["x25519", "scrypt", "scrypt_and_x25519", "hmac_bad", "stream_last_chunk_full",
                         "stream_last_chunk_empty", "stream_no_final", "stream_trailing_garbage_long"] {
            #expect(names.contains(required), "\(required)")
        }
    }
}
