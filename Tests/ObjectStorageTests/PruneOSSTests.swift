import Foundation
import Testing
import TestSupport

/// (name, action, reason) of every artifact in a `prune --json` report: the decisions to compare.
private func decisions(_ json: String) throws -> [[String]] {
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let artifacts = try #require(doc["artifacts"] as? [[String: Any]])
    return artifacts.map { [($0["name"] as? String) ?? "", ($0["action"] as? String) ?? "", ($0["reason"] as? String) ?? ""] }
        .sorted { $0[0] < $1[0] }
}

@Suite("prune oss://BUCKET/PREFIX (CLI, emulator)")
struct PruneOSSTests {
    @Test("a folder and an OSS prefix with the same 2,500 objects get the same decisions; a second run removes nothing")
    func sameDecisionsAsAFolder() throws {
        let dir = try TempDir("prune-oss")
        let folder = dir.file("backups")
        // 2 sources × 625 daily artifacts, each with a manifest that matches it: 2,500 objects.
        let make = try runProcess("python3", ["-c", """
            import datetime, hashlib, json, os, sys
            root = sys.argv[1]; os.makedirs(root)
            day = datetime.date(2024, 1, 1)
            for i in range(625):
                d = day + datetime.timedelta(days=i)
                for source, ext, kind in (("db", "sql.gz", "postgres"), ("mms", "db.gz", "sqlite")):
                    name = f"{source}_{d:%Y%m%d}.{ext}"
                    body = f"{name}\\n".encode()
                    open(os.path.join(root, name), "wb").write(body)
                    manifest = {"format_version": 1, "kind": kind, "source": source, "artifact": name,
                                "created_at": f"{d:%Y-%m-%d}T02:00:00Z", "tool_version": "0.1.0",
                                "size_bytes": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                                "uncompressed_bytes": len(body), "duration_seconds": 0.1}
                    open(os.path.join(root, name + ".manifest.json"), "w").write(json.dumps(manifest))
            """, folder.path])
        #expect(make.status == 0, "\(make.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files.count == 2500)

        let bucket = try OSSEmulator.freshBucket("prune")
        let env = try OSSEmulator.cliEnvironment()
        let up = try vaultops(["upload"] + files.map { folder.appendingPathComponent($0).path } + ["oss://\(bucket)/nightly/"],
                              environment: env)
        #expect(up.status == 0, "\(up.stderr.suffix(2000))")
        let remote = "oss://\(bucket)/nightly/"
        let policy = ["--keep-days", "30", "--keep-monthly", "6", "--time-zone", "UTC", "--json"]

        let localPlan = try vaultops(["prune", folder.path, "--dry-run"] + policy)
        let remotePlan = try vaultops(["prune", remote, "--dry-run"] + policy, environment: env)
        #expect(localPlan.status == 0 && remotePlan.status == 0, "\(localPlan.stderr)\(remotePlan.stderr)")
        let planned = try decisions(localPlan.stdout)
        #expect(planned.count == 1250)
        #expect(planned == (try decisions(remotePlan.stdout)))
        let kept = planned.filter { $0[1] == "keep" }.count
        #expect(kept > 50 && kept < 100)

        let local = try vaultops(["prune", folder.path] + policy)
        let remoteRun = try vaultops(["prune", remote] + policy, environment: env)
        #expect(local.status == 0 && remoteRun.status == 0, "\(local.stderr)\(remoteRun.stderr)")
        #expect(try decisions(local.stdout) == (try decisions(remoteRun.stdout)))
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).count
        #expect(left == kept * 2)
        let listed = try vaultops(["ls", remote, "--json"], environment: env)
        #expect(listed.status == 0)
        #expect(listed.stdout.components(separatedBy: "\"key\"").count - 1 == left)

        for (location, environment) in [(folder.path, [String: String]()), (remote, env)] {
            let again = try vaultops(["prune", location] + policy, environment: environment)
            #expect(again.status == 0)
            #expect(try decisions(again.stdout).allSatisfy { $0[1] == "keep" })
        }
    }
}
