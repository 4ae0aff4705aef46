import Foundation
import Testing
import TestSupport

@Suite("SIGKILL mid-write")
struct CrashTests {
    @Test("killing a backup mid-write leaves only a .partial that verify refuses, and the next run succeeds")
    func killMidWrite() throws {
        let dir = try TempDir("crash")
        let source = dir.file("uploads")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        // Incompressible data at level 9 keeps the writer busy for a few seconds.
        #expect(try shell("head -c 160000000 /dev/urandom > '\(source.path)/big.bin'").status == 0)
        let out = dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: vaultopsExecutable)
        process.arguments = ["backup", "files", source.path, "--out", out.path, "--level", "9", "--jobs", "1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var partialSeen: String?
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning {
            let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
            if let p = names.first(where: { $0.hasSuffix(".partial") }),
               let size = try? FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(p).path)[.size] as? Int,
               size > 4_000_000 {
                partialSeen = p
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(10_000)
        }
        process.waitUntilExit()
        let partial = try #require(partialSeen, "the backup finished before it could be killed; make the input bigger")
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(try artifacts(in: out).isEmpty)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: out.path).contains { $0.hasSuffix(".manifest.json") }))

        let v = try vaultops(["verify", out.appendingPathComponent(partial).path])
        #expect(v.status == 3)

        // The day's stamp before and after: a run that crosses midnight names the artifact with either.
        let dayBefore = todayStamp()
        let again = try vaultops(["backup", "files", source.path, "--out", out.path, "--level", "1"])
        let dayAfter = todayStamp()
        #expect(again.status == 0, "\(again.stderr)")
        // The leftover keeps its name (a live writer might still own it); the new backup takes the
        // same-day name with _HHMMSS, and prune removes leftovers older than a day.
        let done = try artifacts(in: out)
        #expect(done.count == 1)
        #expect([dayBefore, dayAfter].contains { done.first?.hasPrefix("uploads_\($0)") == true }, "\(done)")
        #expect(try vaultops(["verify", out.appendingPathComponent(done[0]).path]).status == 0)
    }
}
