import Foundation
import Mirror
import ObjectStorage
import Testing
import TestSupport

@Suite("mirror: interrupted uploads, refused keys, reported problems (emulator)")
struct MirrorSafetyTests {
    @Test("an upload killed halfway re-runs without re-sending finished files")
    func killedAndResumed() throws {
        let bucket = try OSSEmulator.freshBucket("kill")
        let work = try TempDir("mirror-kill")
        let env = try OSSEmulator.cliEnvironment(cache: work.path + "/cache")
        let src = work.path + "/src"
        let files = try Trees.writeSmallFiles(root: src, count: 1_500, seed: 3)
        // Large enough for a multipart upload (threshold 32 MiB, 8 MiB parts), so its checkpoint is exercised too.
        try Trees.writeLargeFile(src + "/zz/large.bin", mebibytes: 48, seed: 11)
        let destination = "oss://\(bucket)/up/"
        // Files go up in byte order of their paths, `jobs` at a time: the 601st and 602nd hang at the emulator (until
        // the client's 60 s stall timeout), so both workers stop there and the kill lands after 600 files and
        // before the end, however fast or loaded the machine is.
        let order = (files + ["zz/large.bin"]).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for gated in order[600...601] {
            try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "slow", "seconds": 300, "key_suffix": "up/" + gated])
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: vaultopsExecutable)
        process.arguments = ["upload", src, destination, "--jobs", "2"]
        process.environment = ProcessInfo.processInfo.environment.merging(env) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Kill it once 400 files are on OSS: well before the end, well after the start (120 s is only a backstop).
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let done = try OSSEmulator.log(bucket).filter { $0.op == "PutObject" && $0.ok }.count
            if done >= 400 || !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(process.isRunning, "the upload finished before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        try OSSEmulator.control("DELETE", "faults?bucket=\(bucket)")

        let first = try OSSEmulator.log(bucket)
        let finished = Set(first.filter { $0.op == "PutObject" && $0.ok }.compactMap { $0.key.map { Array($0.utf8) } })
        #expect(finished.count >= 400 && finished.count < files.count, "\(finished.count) finished before the kill")

        let r = try vaultops(["upload", src, destination, "--jobs", "2"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        let second = try OSSEmulator.log(bucket)[first.count...]
        let resent = second.filter { $0.op == "PutObject" }.compactMap { $0.key.map { Array($0.utf8) } }
        #expect(Set(resent).isDisjoint(with: finished), "files finished before the kill were sent again")
        let skippedCount = r.stdout.split(separator: ",").first { $0.contains("skipped") }
            .flatMap { Int($0.split(separator: " ").last ?? "") }
        #expect((skippedCount ?? 0) >= finished.count)

        // Everything is there now, with the right bytes: a third run finds nothing to send.
        let third = try vaultops(["upload", src, destination], environment: env)
        #expect(third.stdout.contains("sent 0 (0 B), skipped 1501, deleted 0, failed 0"), "\(third.stdout)")
    }

    @Test("a key like ../../etc/passwd is refused on download and nothing is written outside DIR")
    func escapingKeysRefused() throws {
        let bucket = try OSSEmulator.freshBucket("escape")
        let work = try TempDir("mirror-escape")
        let env = try OSSEmulator.cliEnvironment(cache: work.path + "/cache")
        try OSSEmulator.seed(bucket, keys: ["up/../../etc/passwd", "up/a/../../../x", "up//abs", "up/./dot", "up/ok.txt",
                                         "up/sub/fine.txt", "up/link/evil.txt"])
        let outside = work.path + "/outside"
        let dir = work.path + "/deep/dir"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // A symlink planted inside DIR that points outside it: writing through it would escape.
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: outside)
        let before = try Trees.manifest(work.path)

        let r = try vaultops(["download", "oss://\(bucket)/up/", dir], environment: env)
        #expect(r.status == 1, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains("oss://\(bucket)/up/../../etc/passwd: refused: the key has a '..' component"), "\(r.stderr)")
        #expect(r.stderr.contains("up//abs: refused: the key is an absolute path"), "\(r.stderr)")
        #expect(r.stderr.contains("refusing to write through it"), "\(r.stderr)")
        #expect(r.stdout.contains("sent 2 "), "\(r.stdout)")
        #expect(r.stdout.contains("failed 5"), "\(r.stdout)")
        // Only the two safe files were added, both inside DIR; nothing appeared in `outside` or above DIR.
        let after = try Trees.manifest(work.path)
        let added = Set(after.split(separator: "\n")).subtracting(before.split(separator: "\n"))
        #expect(added.map { String($0.split(separator: " ", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces) }.sorted()
                    == ["./deep/dir/ok.txt", "./deep/dir/sub/fine.txt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: work.path + "/etc"))
        #expect(!FileManager.default.fileExists(atPath: work.path + "/deep/x"))
        #expect(try String(contentsOfFile: dir + "/ok.txt", encoding: .utf8) == "up/ok.txt")
    }

    @Test("symlinks and FIFOs are reported (exit 1), the rest is sent, and --delete keeps their objects")
    func problemsReported() throws {
        let bucket = try OSSEmulator.freshBucket("problems")
        let work = try TempDir("mirror-problems")
        let env = try OSSEmulator.cliEnvironment(cache: work.path + "/cache")
        let src = work.path + "/src"
        try Trees.writeSmallFiles(root: src, count: 20, seed: 5)
        try OSSEmulator.seed(bucket, keys: ["up/link", "up/gone.txt"])
        try FileManager.default.createSymbolicLink(atPath: src + "/link", withDestinationPath: "/etc/hostname")
        #expect(mkfifo(src + "/pipe", 0o600) == 0)

        let r = try vaultops(["upload", src, "oss://\(bucket)/up", "--delete"], environment: env)
        #expect(r.status == 1, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains("not mirrored: \(src)/link: symbolic link -> /etc/hostname, not followed"), "\(r.stderr)")
        #expect(r.stderr.contains("not mirrored: \(src)/pipe: FIFO (named pipe), not a regular file"), "\(r.stderr)")
        #expect(r.stdout.contains("sent 20 "), "\(r.stdout)")
        #expect(r.stdout.contains("deleted 1, failed 2"), "\(r.stdout)")
        let keys = Set(try OSSEmulator.client().listObjects(bucket: bucket, prefix: "up/").map(\.key))
        #expect(keys.contains("up/link"), "the object of a file that could not be read is not deleted")
        #expect(!keys.contains("up/gone.txt"))
        #expect(keys.count == 21)
    }

    @Test("bad mirror input is a usage error", arguments: [
        (["upload", "/etc/hostname", "/tmp", "oss://bucket-name/p/"], "either files or folders"),
        (["upload", "/etc/hostname", "oss://bucket-name/p/", "--delete"], "apply to mirroring folders"),
        (["download", "oss://bucket-name/p/"], "needs an object key"),
        (["download", "oss://bucket-name/p/", "/tmp/x", "--jobs", "0"], "--jobs must be 1-64"),
    ])
    func usage(_ args: [String], _ message: String) throws {
        let env = ["OSS_ENDPOINT": "oss-cn-hangzhou.aliyuncs.com", "OSS_ACCESS_KEY_ID": "id", "OSS_ACCESS_KEY_SECRET": "secret"]
        let r = try vaultops(args, environment: env)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test("upload --delete into a prefix that holds vaultops backups is refused, and nothing is deleted")
    func backupPrefixNeverPruned() throws {
        let bucket = try OSSEmulator.freshBucket("guard")
        let work = try TempDir("mirror-guard")
        let env = try OSSEmulator.cliEnvironment(cache: work.path + "/cache")
        try OSSEmulator.seed(bucket, keys: ["nightly/db_20250101.sql.gz", "nightly/db_20250101.sql.gz.manifest.json"])
        let src = work.path + "/uploads"
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        try Data("avatar".utf8).write(to: URL(fileURLWithPath: src + "/avatar.png"))

        let r = try vaultops(["upload", src, "oss://\(bucket)/nightly/", "--delete"], environment: env)
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("holds vaultops backups") && r.stderr.contains("vaultops prune"), "\(r.stderr)")
        let keys = try OSSEmulator.client().listObjects(bucket: bucket, prefix: "nightly/").map(\.key).sorted()
        #expect(keys == ["nightly/db_20250101.sql.gz", "nightly/db_20250101.sql.gz.manifest.json"])
        #expect(try OSSEmulator.log(bucket).allSatisfy { $0.op != "DeleteMultipleObjects" && $0.op != "PutObject" })
    }
}
