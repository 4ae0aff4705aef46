import Foundation
import SQLite
import SQLiteSnapshot
import Testing
import TestSupport

@Suite("SQLite restore")
struct RestoreTests {
    /// 2025-03-04 05:06:07 UTC.
    static let now = Date(timeIntervalSince1970: 1_741_064_767)
    static let utc = TimeZone(identifier: "UTC")!

    /// A candidate made as a backup would make it: a snapshot of a database with `rows` rows.
    static func makeCandidate(in dir: TempDir, rows: Int = 2000, name: String = "candidate.db") throws -> URL {
        let source = dir.file("candidate-source.db")
        try sqlite3CLI(source, """
            CREATE TABLE items(id INTEGER PRIMARY KEY, label TEXT, payload BLOB);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows))
              INSERT INTO items SELECT i, 'restored ' || i || ' 轴承', randomblob(64) FROM n;
            """)
        let candidate = dir.file(name)
        _ = try snapshot(of: source, into: candidate)
        try FileManager.default.removeItem(at: source)
        return candidate
    }

    static func makeTarget(_ file: URL) throws {
        try sqlite3CLI(file, "CREATE TABLE old(v TEXT); INSERT INTO old VALUES ('the old data'), ('Ø20');")
    }

    @Test(arguments: [
        (1_741_064_767.0, "UTC", ".pre-restore-20250304_050607"),
        (1_741_064_767.0, "Asia/Shanghai", ".pre-restore-20250304_130607"),
        (1_741_064_767.0, "America/Los_Angeles", ".pre-restore-20250303_210607"),
        (0.0, "UTC", ".pre-restore-19700101_000000"),
        (1_767_225_599.0, "UTC", ".pre-restore-20251231_235959"),
    ])
    func preRestoreSuffixUsesLocalTime(_ seconds: Double, _ zone: String, _ expected: String) throws {
        let timeZone = try #require(TimeZone(identifier: zone))
        #expect(preRestoreSuffix(for: Date(timeIntervalSince1970: seconds), timeZone: timeZone) == expected)
    }

    @Test func restoreOverAnExistingDatabaseKeepsThePreviousOne() throws {
        let dir = try TempDir("restore-over")
        let candidate = try Self.makeCandidate(in: dir)
        let expected = try dump(candidate)
        let target = dir.file("app.db")
        try Self.makeTarget(target)
        let oldDump = try dump(target)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: target.path)

        let outcome = try installSnapshot(candidate: candidate, over: target, now: Self.now, timeZone: Self.utc)
        let previous = dir.file("app.db.pre-restore-20250304_050607")
        #expect(outcome.previousCopy == previous)
        #expect(outcome.installed == target)
        #expect(try dump(previous) == oldDump)
        #expect(try dump(target) == expected)
        #expect(try sqlite3CLI(target, "PRAGMA integrity_check") == "ok")
        #expect(!FileManager.default.fileExists(atPath: candidate.path), "the candidate is moved into place")
        // The application keeps the access it had: the new file takes the old one's permissions.
        #expect(try filePermissions(target) == 0o640)
        #expect(try filePermissions(previous) == 0o640)
        for suffix in ["-wal", "-shm", "-journal"] {
            #expect(!FileManager.default.fileExists(atPath: target.path + suffix))
        }

        // A second restore in the same second keeps both earlier files.
        let second = try Self.makeCandidate(in: dir, rows: 10, name: "second.db")
        let again = try installSnapshot(candidate: second, over: target, now: Self.now, timeZone: Self.utc)
        #expect(again.previousCopy == dir.file("app.db.pre-restore-20250304_050607-2"))
        #expect(try dump(previous) == oldDump)
        #expect(try dump(dir.file("app.db.pre-restore-20250304_050607-2")) == expected)
        #expect(try sqlite3CLI(target, "SELECT count(*) FROM items") == "10")
    }

    @Test func restoreOverAWALDatabaseCheckpointsItAndKeepsWALMode() throws {
        let dir = try TempDir("restore-wal")
        let target = dir.file("live.db")
        try python(makeWALOnlyRows, [target.path, "300"])
        // The crashed writer left its last rows only in the -wal; a stale -wal beside the new file would corrupt it.
        #expect(FileManager.default.fileExists(atPath: target.path + "-wal"))
        let candidate = try Self.makeCandidate(in: dir)
        let expected = try dump(candidate)

        let outcome = try installSnapshot(candidate: candidate, over: target, now: Self.now, timeZone: Self.utc)
        let previous = try #require(outcome.previousCopy)
        // The kept copy is complete on its own, WAL rows included.
        let keptAlone = dir.file("kept-alone.db")
        try FileManager.default.copyItem(at: previous, to: keptAlone)
        #expect(try sqlite3CLI(keptAlone, "SELECT count(*) FROM t") == "300")
        #expect(try sqlite3CLI(previous, "PRAGMA integrity_check") == "ok")
        for companion in outcome.movedCompanions {
            #expect(companion.path.hasPrefix(previous.path))
        }
        // The new file is the candidate's content, in the WAL mode the application had chosen.
        #expect(try headerJournalBytes(target) == [2, 2])
        #expect(try dump(target) == expected)
        #expect(try sqlite3CLI(target, "PRAGMA journal_mode; PRAGMA integrity_check") == "wal\nok")
    }

    @Test(arguments: Damage.allCases)
    func damagedCandidateLeavesTheTargetUntouched(_ how: Damage) throws {
        let dir = try TempDir("restore-damaged")
        let good = try Self.makeCandidate(in: dir, rows: 3000)
        let candidate = dir.file("damaged.db")
        try damage(good, into: candidate, how: how)
        let target = dir.file("app.db")
        try Self.makeTarget(target)
        let before = try Data(contentsOf: target)
        let listingBefore = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()

        let error = #expect(throws: SQLiteSnapshotError.self) {
            try installSnapshot(candidate: candidate, over: target, now: Self.now, timeZone: Self.utc)
        }
        #expect(error?.path == candidate.path)
        #expect([.integrityCheckFailed, .notADatabase].contains(error?.code))
        #expect(try Data(contentsOf: target) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == listingBefore)
    }

    @Test func targetInAnExclusiveTransactionIsRefused() throws {
        let dir = try TempDir("restore-locked")
        let target = dir.file("app.db")
        try Self.makeTarget(target)
        let candidate = try Self.makeCandidate(in: dir)
        let ready = dir.file("ready")
        let holder = try BackgroundProcess(python: """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN EXCLUSIVE")
            open(sys.argv[2], "w").close()
            time.sleep(3600)  # held until the test releases it (deinit); an hour is only a backstop
            """, [target.path, ready.path], scratch: dir)
        try waitForFile(ready, seconds: 120, process: holder)
        let before = try Data(contentsOf: target)

        let error = #expect(throws: SQLiteSnapshotError.self) {
            try installSnapshot(candidate: candidate, over: target, now: Self.now, timeZone: Self.utc)
        }
        #expect(error?.code == .databaseInUse)
        #expect(error?.description.contains("database is in use") == true)
        #expect(try Data(contentsOf: target) == before)
        #expect(FileManager.default.fileExists(atPath: candidate.path))
        #expect(!FileManager.default.fileExists(atPath: target.path + ".pre-restore-20250304_050607"))
    }

    @Test func walTargetWithAnIdleConnectionIsRefusedAndStaysWAL() throws {
        let dir = try TempDir("restore-idle")
        let target = dir.file("app.db")
        try sqlite3CLI(target, "PRAGMA journal_mode=WAL; CREATE TABLE t(v); INSERT INTO t VALUES (1);")
        let candidate = try Self.makeCandidate(in: dir)
        let ready = dir.file("ready")
        // In WAL mode BEGIN EXCLUSIVE does not keep readers out, yet an application holding the file open
        // must still stop the restore.
        let reader = try BackgroundProcess(python: """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("SELECT count(*) FROM t").fetchall()
            open(sys.argv[2], "w").close()
            time.sleep(3600)  # held until the test releases it (deinit); an hour is only a backstop
            """, [target.path, ready.path], scratch: dir)
        try waitForFile(ready, seconds: 120, process: reader)

        let error = #expect(throws: SQLiteSnapshotError.self) {
            try installSnapshot(candidate: candidate, over: target, now: Self.now, timeZone: Self.utc)
        }
        #expect(error?.code == .databaseInUse)
        #expect(try sqlite3CLI(target, "PRAGMA journal_mode; SELECT count(*) FROM t") == "wal\n1")
        #expect(FileManager.default.fileExists(atPath: candidate.path))
    }

    @Test func idleRollbackJournalConnectionIsFoundAndRefused() throws {
        let dir = try TempDir("restore-idle-rb")
        let target = dir.file("app.db")
        try Self.makeTarget(target)
        let candidate = try Self.makeCandidate(in: dir)
        let ready = dir.file("ready")
        // An idle connection to a rollback-journal database holds no SQLite lock at all, yet it would go on
        // writing to the old file after the swap.
        let app = try BackgroundProcess(python: """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("SELECT count(*) FROM old").fetchall()
            open(sys.argv[2], "w").close()
            time.sleep(3600)  # held until the test releases it (deinit); an hour is only a backstop
            """, [target.path, ready.path], scratch: dir)
        try waitForFile(ready, seconds: 120, process: app)
        let before = try Data(contentsOf: target)

        let error = #expect(throws: SQLiteSnapshotError.self) {
            try installSnapshot(candidate: candidate, over: target, now: Self.now, timeZone: Self.utc)
        }
        #expect(error?.code == .databaseInUse)
        #expect(error?.description.contains("database is in use by python3 (pid \(app.process.processIdentifier))") == true)
        #expect(try Data(contentsOf: target) == before)
        #expect(FileManager.default.fileExists(atPath: candidate.path))
    }

    @Test func symlinkedTargetReplacesTheRealFileAndKeepsTheLink() throws {
        let dir = try TempDir("restore-link")
        let realFolder = dir.file("volume")
        try FileManager.default.createDirectory(at: realFolder, withIntermediateDirectories: true)
        let real = realFolder.appendingPathComponent("app.db")
        try Self.makeTarget(real)
        let link = dir.file("app.db")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        let candidate = try Self.makeCandidate(in: dir)
        let expected = try dump(candidate)

        let outcome = try installSnapshot(candidate: candidate, over: link, now: Self.now, timeZone: Self.utc)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == real.path)
        #expect(outcome.installed.path == real.path)
        #expect(outcome.previousCopy?.path == real.path + ".pre-restore-20250304_050607")
        #expect(try dump(link) == expected)
        #expect(try dump(real) == expected)
    }

    @Test func missingTargetIsCreatedAndStaleCompanionsAreMovedAside() throws {
        let dir = try TempDir("restore-fresh")
        let candidate = try Self.makeCandidate(in: dir)
        let expected = try dump(candidate)
        let target = dir.file("new.db")
        // A -wal without its database would be replayed into the new file: it must go.
        try Data("stale wal".utf8).write(to: URL(fileURLWithPath: target.path + "-wal"))

        let outcome = try installSnapshot(candidate: candidate, over: target, now: Self.now, timeZone: Self.utc)
        #expect(outcome.previousCopy == nil)
        #expect(outcome.movedCompanions == [dir.file("new.db.pre-restore-20250304_050607-wal")])
        #expect(!FileManager.default.fileExists(atPath: target.path + "-wal"))
        #expect(try dump(target) == expected)
    }

    @Test func candidateThatIsTheTargetIsRefused() throws {
        let dir = try TempDir("restore-self")
        let target = dir.file("app.db")
        try Self.makeTarget(target)
        let before = try Data(contentsOf: target)
        #expect(throws: SQLiteSnapshotError.self) {
            try installSnapshot(candidate: target, over: target, now: Self.now, timeZone: Self.utc)
        }
        #expect(try Data(contentsOf: target) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["app.db"])
    }

    @Test func missingTargetFolderIsReportedAndTheCandidateKept() throws {
        let dir = try TempDir("restore-nofolder")
        let candidate = try Self.makeCandidate(in: dir)
        let error = #expect(throws: SQLiteSnapshotError.self) {
            try installSnapshot(candidate: candidate, over: dir.file("missing/app.db"), now: Self.now, timeZone: Self.utc)
        }
        #expect(error?.code == .folderMissing)
        #expect(FileManager.default.fileExists(atPath: candidate.path))
    }

    @Test func candidateOnAnotherFileSystemIsCopiedIntoPlace() throws {
        // /dev/shm is a tmpfs on Linux, so the rename fails with EXDEV and the copy path runs.
        let shm = URL(fileURLWithPath: "/dev/shm")
        let tmp = try TempDir("restore-xdev")
        let shmDevice = try #require(try FileManager.default.attributesOfItem(atPath: shm.path)[.systemNumber] as? NSNumber)
        let tmpDevice = try #require(try FileManager.default.attributesOfItem(atPath: tmp.path)[.systemNumber] as? NSNumber)
        try #require(shmDevice != tmpDevice, "the test needs /dev/shm on another file system than \(tmp.path)")
        let elsewhere = shm.appendingPathComponent("vaultops-restore-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let made = try Self.makeCandidate(in: tmp)
        let candidate = elsewhere.appendingPathComponent("candidate.db")
        try FileManager.default.moveItem(at: made, to: candidate)
        let expected = try dump(candidate)
        let target = tmp.file("app.db")
        try Self.makeTarget(target)

        let outcome = try installSnapshot(candidate: candidate, over: target, now: Self.now, timeZone: Self.utc)
        #expect(outcome.previousCopy != nil)
        #expect(try dump(target) == expected)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.contains(".restore-") }
        #expect(leftovers.isEmpty, "staging files left behind: \(leftovers)")
    }
}
