import Foundation
import Testing
import TestSupport

/// Prune against storage that refuses deletion on purpose: a second key without delete permission (403
/// AccessDenied: the two-key pattern) and a retention policy (WORM).
@Suite("prune with protected objects: 403 and WORM are 'protected', never failures, never counted as removed")
struct ImmutabilityTests {
    /// Six daily `db_*.sql.gz` artifacts with manifests, uploaded to a fresh bucket's `nightly/`; the bucket.
    static func sixDays() throws -> String {
        let dir = try TempDir("immutable")
        let make = try runProcess("python3", ["-c", """
            import hashlib, json, os, sys
            root = sys.argv[1]; os.makedirs(root)
            for day in range(1, 7):
                name = f"db_2025010{day}.sql.gz"
                body = f"{name}\\n".encode()
                open(os.path.join(root, name), "wb").write(body)
                manifest = {"format_version": 1, "kind": "postgres", "source": "db", "artifact": name,
                            "created_at": f"2025-01-0{day}T02:00:00Z", "tool_version": "0.1.0",
                            "size_bytes": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                            "uncompressed_bytes": len(body), "duration_seconds": 0.1}
                open(os.path.join(root, name + ".manifest.json"), "w").write(json.dumps(manifest))
            """, dir.file("b").path])
        try #require(make.status == 0, "\(make.stderr)")
        let bucket = try OSSEmulator.freshBucket("immutable")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.file("b").path).sorted()
        let up = try vaultops(["upload"] + files.map { dir.file("b/\($0)").path } + ["oss://\(bucket)/nightly/"],
                              environment: try OSSEmulator.cliEnvironment())
        try #require(up.status == 0, "\(up.stderr)")
        return bucket
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static let policy = ["--keep-last", "2", "--time-zone", "UTC"]

    @Test("objects under a retention policy (WORM) are reported protected and kept; the rest go; exit 0")
    func worm() throws {
        let bucket = try Self.sixDays()
        try OSSEmulator.control("POST", "worm?bucket=\(bucket)", body: Data(#"["nightly/db_20250101", "nightly/db_20250102"]"#.utf8))
        let env = try OSSEmulator.cliEnvironment()
        let r = try vaultops(["prune", "oss://\(bucket)/nightly/", "--json"] + Self.policy, environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try Self.json(r.stdout)
        let protected = try #require(doc["protected"] as? [[String: Any]]).compactMap { $0["name"] as? String }.sorted()
        #expect(protected == ["db_20250101.sql.gz", "db_20250102.sql.gz"])
        #expect((doc["failures"] as? [Any])?.isEmpty == true)
        let summary = try #require(doc["summary"] as? [String: Any])
        #expect(summary["removed"] as? Int == 2 && summary["kept"] as? Int == 4 && summary["protected"] as? Int == 2)
        // The protected artifacts keep their manifests (never a manifest without its artifact, nor the reverse).
        let left = try vaultops(["ls", "oss://\(bucket)/nightly/", "--json"], environment: env)
        let keys = try #require(try JSONSerialization.jsonObject(with: left.stdoutData) as? [[String: Any]]).compactMap { $0["key"] as? String }
        #expect(keys.count == 8)
        #expect(keys.contains("nightly/db_20250101.sql.gz.manifest.json") && !keys.contains("nightly/db_20250103.sql.gz"))
        let text = try vaultops(["prune", "oss://\(bucket)/nightly/"] + Self.policy, environment: env)
        #expect(text.status == 0)
        #expect(text.stdout.contains("Protected (the storage does not allow removing them; kept):"), "\(text.stdout)")
        #expect(text.stdout.contains("2 protected (kept)."))
    }

    @Test("a key that may not delete (403 AccessDenied): every removal is protected, nothing counted as removed, exit 0")
    func accessDenied() throws {
        let bucket = try Self.sixDays()
        for op in ["DeleteMultipleObjects", "DeleteObject"] {
            try OSSEmulator.addFault(bucket: bucket, ["op": op, "action": "status", "status": 403, "code": "AccessDenied",
                                                      "message": "You have no right to access this object because of bucket acl.",
                                                      "times": 100])
        }
        let r = try vaultops(["prune", "oss://\(bucket)/nightly/", "--json"] + Self.policy, environment: try OSSEmulator.cliEnvironment())
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try Self.json(r.stdout)
        #expect((doc["protected"] as? [Any])?.count == 4)
        let summary = try #require(doc["summary"] as? [String: Any])
        #expect(summary["removed"] as? Int == 0 && summary["kept"] as? Int == 6 && summary["failed"] as? Int == 0)
    }

    @Test("a signature failure on delete is still a failure (exit 1), not 'protected'")
    func signatureStillFails() throws {
        let bucket = try Self.sixDays()
        try OSSEmulator.addFault(bucket: bucket, ["op": "DeleteMultipleObjects", "action": "status", "status": 403,
                                                  "code": "SignatureDoesNotMatch", "times": 100])
        let r = try vaultops(["prune", "oss://\(bucket)/nightly/", "--json"] + Self.policy, environment: try OSSEmulator.cliEnvironment())
        #expect(r.status == 1)
        #expect((try Self.json(r.stdout)["protected"]) == nil)
    }
}
