import Foundation
import Testing
import TestSupport
@testable import VaultopsCore

/// A python3 process that holds `path` with `flock` (as another vaultops would) until it is stopped.
final class ForeignHolder {
    let process = Process()
    private let output = Pipe()

    /// Starts the holder and returns once it holds the lock; it lets go after `holdSeconds`.
    init(path: String, holdSeconds: Double = 60, record: Bool = true) throws {
        let script = """
            import fcntl, os, sys, time
            f = open(sys.argv[1], 'a+')
            fcntl.flock(f, fcntl.LOCK_EX)
            if sys.argv[3] == '1':
                f.truncate(0)
                f.write('pid: %d\\ncommand: vaultops run --config /etc/vaultops/vaultops.yml\\nstarted: 2026-01-01T02:00:00Z\\n' % os.getpid())
                f.flush()
            print('locked', flush=True)
            time.sleep(float(sys.argv[2]))
            """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path, String(holdSeconds), record ? "1" : "0"]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = output.fileHandleForReading.availableData
        guard String(decoding: line, as: UTF8.self).hasPrefix("locked") else {
            throw TestSupportError("the python3 lock holder did not start")
        }
    }

    var pid: Int32 { process.processIdentifier }

    func stop() {
        // SIGKILL: the test runner's children may inherit SIGTERM blocked.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

@Suite("ProcessLock")
struct LockTests {
    @Test func contentionWithAnotherProcessNamesTheHolder() throws {
        let dir = try TempDir("lock")
        let path = dir.file("vaultops.lock").path
        let holder = try ForeignHolder(path: path)
        let error = #expect(throws: LockError.self) { try ProcessLock.acquire(path: path) }
        #expect(error == .held(by: "pid \(holder.pid) (vaultops run --config /etc/vaultops/vaultops.yml) since 2026-01-01T02:00:00Z",
                               path: path))
        #expect(error?.description == "another vaultops is running: \(path) is held by pid \(holder.pid) (vaultops run --config /etc/vaultops/vaultops.yml) since 2026-01-01T02:00:00Z")
        #expect(error.map { VaultopsExitCode.for($0) } == .locked)
        holder.stop()
        // The kernel dropped the dead holder's lock: no stale lock.
        let lock = try ProcessLock.acquire(path: path)
        #expect(lock.isHeld)
    }

    @Test func holderWithoutRecordIsStillReported() throws {
        let dir = try TempDir("lock")
        let path = dir.file("vaultops.lock").path
        let holder = try ForeignHolder(path: path, record: false)
        defer { holder.stop() }
        let error = #expect(throws: LockError.self) { try ProcessLock.acquire(path: path) }
        guard case let .held(by, _) = error else { Issue.record("expected .held, got \(String(describing: error))"); return }
        #expect(by.hasPrefix("another process"))
    }

    @Test func waitsForTheHolderToFinish() throws {
        let dir = try TempDir("lock")
        let path = dir.file("vaultops.lock").path
        let holder = try ForeignHolder(path: path, holdSeconds: 0.5)
        defer { holder.stop() }
        let lock = try ProcessLock.acquire(path: path, wait: .seconds(20))
        #expect(lock.isHeld)
    }

    @Test func waitGivesUpAfterTheDeadline() throws {
        let dir = try TempDir("lock")
        let path = dir.file("vaultops.lock").path
        let holder = try ForeignHolder(path: path)
        defer { holder.stop() }
        let start = ContinuousClock.now
        #expect(throws: LockError.self) { try ProcessLock.acquire(path: path, wait: .milliseconds(300)) }
        #expect(ContinuousClock.now - start >= .milliseconds(300))
    }

    @Test func otherProcessesSeeOurLockAndRecord() throws {
        let dir = try TempDir("lock")
        let path = dir.file("state/sub/vaultops.lock").path
        let lock = try ProcessLock.acquire(path: path, command: "vaultops backup postgres postgresql://u:Hunter2x@h/db")
        // util-linux flock(1) cannot take it while we hold it…
        let busy = try runProcess("flock", ["--nonblock", "--conflict-exit-code", "9", path, "true"])
        #expect(busy.status == 9)
        let record = try String(contentsOfFile: path, encoding: .utf8)
        #expect(record.hasPrefix("pid: \(getpid())\ncommand: vaultops backup postgres postgresql://u:***@h/db\nstarted: "))
        #expect(!record.contains("Hunter2x"))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // …and can once we let go.
        lock.release()
        #expect(!lock.isHeld)
        let free = try runProcess("flock", ["--nonblock", "--conflict-exit-code", "9", path, "true"])
        #expect(free.status == 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8).isEmpty)
    }

    @Test func secondLockInTheSameProcessConflicts() throws {
        let dir = try TempDir("lock")
        let path = dir.file("vaultops.lock").path
        var first: ProcessLock? = try ProcessLock.acquire(path: path, command: "vaultops deploy --version 1.0.1")
        let error = #expect(throws: LockError.self) { try ProcessLock.acquire(path: path) }
        #expect(error?.description.contains("pid \(getpid()) (vaultops deploy --version 1.0.1) since ") == true)
        #expect(first?.isHeld == true)
        first = nil  // deinit releases
        // Other tests in this process spawn children at the same time; a child forked before its exec closes our
        // close-on-exec descriptor shares the lock for that instant, so allow a moment rather than flake.
        #expect(try ProcessLock.acquire(path: path, wait: .seconds(10)).isHeld)
    }

    @Test func childrenDoNotInheritTheLock() throws {
        let dir = try TempDir("lock")
        let path = dir.file("vaultops.lock").path
        let lock = try ProcessLock.acquire(path: path)
        // A child that outlives the release must not keep the lock (close-on-exec).
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        defer { kill(child.processIdentifier, SIGKILL); child.waitUntilExit() }
        lock.release()
        let free = try runProcess("flock", ["--nonblock", "--conflict-exit-code", "9", path, "true"])
        #expect(free.status == 0)
    }

    @Test func unopenableLockFileIsAFailure() {
        let error = #expect(throws: LockError.self) { try ProcessLock.acquire(path: "/proc/vaultops-\(UUID().uuidString).lock") }
        #expect(error.map { VaultopsExitCode.for($0) } == .failure)
        #expect(error?.description.hasPrefix("cannot open lock file /proc/") == true)
    }
}
