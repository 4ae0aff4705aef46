import Foundation
import Testing
import TestSupport

@Suite("deploy with encrypted backup points", .serialized)
struct EncryptedDeployTests {
    @Test func backupPointsNeedNoIdentityAndRollbackWithDataNeedsIt() throws {
        let keys = try TempDir("deploy-identity")
        let keygen = try vaultops(["keygen", "-o", keys.file("key.txt").path])
        try #require(keygen.status == 0, "\(keygen.stderr)")
        let recipient = keygen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let s = try SchemaSetup("deployenc", topLevel: "encryption: { recipients: [\(recipient)] }")
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "VAULTOPS_IDENTITY_FILE")
        let run = { (arguments: [String], env: [String: String]) in try vaultops(arguments + ["--config", s.config.path], environment: env) }

        // Deploys take and verify encrypted backup points without the identity.
        let first = try run(["deploy", "--version", "1"], env)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let failed = try run(["deploy", "--version", "2"], env)
        #expect(failed.status == 7, "\(failed.stdout)\(failed.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: s.dir.file("backups").path).filter { !$0.hasPrefix(".") }
        #expect(!names.isEmpty && names.allSatisfy { $0.hasSuffix(".sql.gz.age") || $0.hasSuffix(".sql.gz.age.manifest.json") }, "\(names)")
        #expect(try s.columns() == "id,name")

        // Restoring the data needs the identity: without it nothing is restored and the message says where to put it.
        let withoutKey = try run(["rollback", "r0001", "--with-data"], env)
        #expect(withoutKey.status != 0)
        #expect((withoutKey.stdout + withoutKey.stderr).contains("VAULTOPS_IDENTITY_FILE"), "\(withoutKey.stdout)\(withoutKey.stderr)")
        #expect(try s.columns() == "id,name")

        env["VAULTOPS_IDENTITY_FILE"] = keys.file("key.txt").path
        let withKey = try run(["rollback", "r0001", "--with-data"], env)
        #expect(withKey.status == 0, "\(withKey.stdout)\(withKey.stderr)")
        #expect(try s.columns() == "id,name,price")
        #expect(try s.priceTotal() == "25125.00")
    }
}
