import Foundation
import Testing
import TestSupport

/// The repository's `Fixtures/sqlite` folder.
let sqliteFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/sqlite")

/// Runs the real `sqlite3` CLI on `database` with `sql` and returns its trimmed output; fails on a non-zero exit.
@discardableResult
func sqlite3CLI(_ database: URL, _ sql: String) throws -> String {
    let r = try runProcess("sqlite3", ["-batch", database.path], stdin: Data(sql.utf8))
    guard r.status == 0 else { throw TestSupportError("sqlite3 \(database.path) failed: \(r.stderr)") }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The `.dump` of a database by the real `sqlite3` CLI: a full, ordered textual image of its content.
func dump(_ database: URL) throws -> String { try sqlite3CLI(database, ".dump") }

/// Runs a Python script with `python3` and its `sqlite3` module; fails on a non-zero exit.
@discardableResult
func python(_ script: String, _ arguments: [String] = []) throws -> String {
    let r = try runProcess("python3", ["-c", script] + arguments)
    guard r.status == 0 else { throw TestSupportError("python3 failed: \(r.stderr)") }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Waits until `file` exists, up to `seconds`; throws when it never appears.
func waitForFile(_ file: URL, seconds: Double, process: BackgroundProcess? = nil) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !FileManager.default.fileExists(atPath: file.path) {
        if let process, !process.isRunning {
            throw TestSupportError("the helper process exited early: \(process.stderrText())")
        }
        guard Date() < deadline else { throw TestSupportError("\(file.lastPathComponent) did not appear within \(seconds) s") }
        Thread.sleep(forTimeInterval: 0.02)
    }
}

/// A Python helper running in the background, stopped (by its own pid) when released.
final class BackgroundProcess {
    let process = Process()
    let errURL: URL

    init(python script: String, _ arguments: [String], scratch: TempDir) throws {
        errURL = scratch.file("bg-\(UUID().uuidString.prefix(6)).err")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    func stderrText() -> String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// Waits for the process to exit by itself, up to `seconds`, and returns its status.
    func wait(seconds: Double) throws -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            guard Date() < deadline else { throw TestSupportError("the helper process did not exit within \(seconds) s") }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return process.terminationStatus
    }

    deinit {
        guard process.isRunning else { return }
        // The child may inherit a blocked SIGTERM from the test runner's threads; SIGKILL always ends it.
        process.terminate()
        let deadline = Date().addingTimeInterval(1)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Python that creates a WAL database whose last rows live only in its `-wal` file.
///
/// It inserts `rows` rows into `t(id, label)` after a checkpoint and exits without closing, so SQLite
/// cannot checkpoint them into the main file: the copy must read the WAL to see them.
let makeWALOnlyRows = """
import os, sqlite3, sys
path, rows = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(path, isolation_level=None)
c.execute("PRAGMA journal_mode=WAL")
c.execute("PRAGMA wal_autocheckpoint=0")
c.execute("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, label TEXT)")
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
c.execute("BEGIN")
for i in range(rows):
    c.execute("INSERT INTO t(label) VALUES (?)", ("wal row %d ✓" % i,))
c.execute("COMMIT")
sys.stdout.flush()
os._exit(0)
"""
