import Foundation
@testable import ObjectStorage
import Testing
import TestSupport

/// Object keys OSS would reject (or that URLs would rewrite) are refused before anything is signed or sent.
@Suite("object keys: refused before signing when OSS would reject them")
struct KeyRulesTests {
    static let refused: [(String, String)] = [
        ("a/../b", "'.' or '..' path segment"), ("..", "'.' or '..' path segment"), ("a/./b", "'.' or '..' path segment"),
        ("/etc/passwd", "starts with '/'"), ("\\share\\x", "starts with '\\'"),
        (String(repeating: "k", count: 1024), "1,024 bytes; OSS allows 1 to 1,023"),
        (String(repeating: "é", count: 512), "1,024 bytes; OSS allows 1 to 1,023"),
        ("nul\u{0}byte", "NUL"), ("", "empty"),
    ]

    @Test("the rules: '.'/'..' segments, a leading '/' or '\\', more than 1,023 UTF-8 bytes, NUL, empty")
    func rules() {
        for (key, why) in Self.refused {
            let problem = OSSClient.keyProblem(key)
            #expect(problem?.contains(why) == true, "\(key.prefix(20)): \(problem ?? "accepted")")
            #expect(problem?.contains("OSS") == true || problem?.contains("URL") == true)
        }
        for key in ["nightly/db_20250101.sql.gz", "a..b/c.", ".hidden", "uploads 2025/ü ñ/日本.txt", String(repeating: "k", count: 1023),
                    "a//b", "trailing/"] {
            #expect(OSSClient.keyProblem(key) == nil, "\(key.prefix(20))")
        }
    }

    @Test("a refused key never reaches OSS: no request is signed or sent")
    func neverSent() throws {
        let bucket = try OSSEmulator.freshBucket("keyrules")
        let client = OSSClient(configuration: try OSSEmulator.configuration())
        for (key, why) in Self.refused where !key.isEmpty {
            let error = try #require(throws: ObjectStorageError.self) { try client.putObject(bucket: bucket, key: key, data: Data("x".utf8)) }
            #expect(error.kind == .invalidURL && error.description.contains(why), "\(error)")
        }
        #expect(try OSSEmulator.log(bucket).isEmpty)
    }
}
