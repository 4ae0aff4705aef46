import Foundation
import SQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a restore did besides installing the new file.
public struct RestoreOutcome: Sendable, Equatable {
    /// The database file now in place.
    public let installed: URL
    /// Where the replaced database was kept (`<target>.pre-restore-<YYYYMMDD_HHMMSS>`), nil when there was none.
    public let previousCopy: URL?
    /// `-wal`, `-shm` or `-journal` files moved away from the target, kept beside the previous copy.
    public let movedCompanions: [URL]
}

/// How long the restore waits for another connection to let go of the target before calling it in use.
let targetBusyTimeoutMilliseconds: Int32 = 1_000

/// The files SQLite keeps beside a database; a stale one next to a different database corrupts it.
let companionSuffixes = ["-wal", "-shm", "-journal"]

/// The suffix kept on a replaced database: `.pre-restore-YYYYMMDD_HHMMSS` in `timeZone`.
public func preRestoreSuffix(for date: Date, timeZone: TimeZone = .current) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    func pad(_ value: Int?, _ width: Int) -> String {
        let text = String(value ?? 0)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return ".pre-restore-\(pad(c.year, 4))\(pad(c.month, 2))\(pad(c.day, 2))_\(pad(c.hour, 2))\(pad(c.minute, 2))\(pad(c.second, 2))"
}

/// Replaces the SQLite database at `target` with `candidate`, keeping the old one.
///
/// In order: the candidate must pass `PRAGMA integrity_check` (otherwise nothing is touched); the
/// target must not be in use by another process (it is locked with `BEGIN EXCLUSIVE` for the whole
/// swap, and a WAL database is first checkpointed into its main file, which SQLite only allows when
/// no other connection has it open); the old file is kept as `<target>.pre-restore-<YYYYMMDD_HHMMSS>`
/// (local time) with any `-wal`/`-shm`/`-journal` left beside it moved along under the same name;
/// the candidate replaces the target in one `rename` (copied and fsynced first when it lives on
/// another file system); the folder is fsynced; and the installed file is checked again (on failure
/// the old file is put back).
/// The installed file takes the old file's permissions and (when running as root) its owner, and a
/// target in WAL mode gets the candidate back in WAL mode: the application relies on both.
///
/// - Parameters:
///   - candidate: the restored database file (for example a gunzipped snapshot); it is moved, not copied,
///     when it is on the target's file system.
///   - target: the database path to replace; its folder must exist.
///   - now: the time used in the name of the kept copy.
///   - timeZone: the time zone of that name (the host's by default).
public func installSnapshot(candidate: URL, over target: URL, now: Date, timeZone: TimeZone = .current) throws -> RestoreOutcome {
    let candidatePath = candidate.path
    // Work on the real file behind a symlink: replacing the link itself would leave the application's
    // file untouched wherever the link points.
    let realTarget = target.resolvingSymlinksInPath()
    let targetPath = realTarget.path
    let folder = realTarget.deletingLastPathComponent().path

    guard candidate.standardizedFileURL.resolvingSymlinksInPath() != target.standardizedFileURL.resolvingSymlinksInPath() else {
        throw SQLiteSnapshotError(.io, path: targetPath, message: "the restore candidate is the target itself")
    }
    // 1. The candidate first: a damaged candidate must leave everything as it was.
    try requireDatabaseFile(candidatePath)
    do {
        let db = try Connection(path: candidatePath, options: [.readWrite])
        try checkIntegrity(db, path: candidatePath)
    } catch let error as SQLiteError {
        throw SQLiteSnapshotError.wrapping(error, path: candidatePath, doing: "checking the restore candidate")
    }
    try requireFolder(of: realTarget)
    var isDirectory: ObjCBool = false
    let targetExists = FileManager.default.fileExists(atPath: targetPath, isDirectory: &isDirectory)
    if targetExists, isDirectory.boolValue {
        throw SQLiteSnapshotError(.notADatabase, path: targetPath, message: "the restore target is a folder, not a database file")
    }

    // 2. Take the target away from everyone else; the lock is held until the new file is in place.
    var lock: Connection?
    var targetWasWAL = false
    if targetExists {
        try requireNoOtherHolders(targetPath)
        (lock, targetWasWAL) = try lockTarget(targetPath)
    }
    defer {
        if let lock, !lock.isAutocommit { try? lock.execute("ROLLBACK") }
    }

    let previous = uniquePreviousPath(targetPath + preRestoreSuffix(for: now, timeZone: timeZone))
    var moved: [(from: String, to: String)] = []
    var linkedPrevious = false
    var renamedPrevious = false
    var staged: String?
    do {
        // 3. Give the candidate the target's journal mode, then stage it in the target's folder.
        if targetWasWAL {
            do {
                let db = try Connection(path: candidatePath, options: [.readWrite])
                let mode = try db.scalar("PRAGMA journal_mode = WAL")?.string?.lowercased()
                guard mode == "wal" else {
                    throw SQLiteSnapshotError(.sqlite, path: candidatePath, message: "could not switch the candidate to WAL mode")
                }
            } catch let error as SQLiteError {
                throw SQLiteSnapshotError.wrapping(error, path: candidatePath, doing: "switching the candidate to WAL mode")
            }
            // Closing the last connection checkpointed and deleted the candidate's -wal; nothing may follow it.
            for suffix in companionSuffixes { try? FileManager.default.removeItem(atPath: candidatePath + suffix) }
        }
        staged = try stage(candidatePath, in: folder)
        if targetExists, let staged { try copyOwnershipAndMode(from: targetPath, to: staged) }

        // 4. Keep the old database (and anything beside it) under the pre-restore name.
        if targetExists {
            // A hard link keeps the target path valid until the atomic rename below replaces it.
            if link(targetPath, previous) == 0 {
                linkedPrevious = true
            } else if rename(targetPath, previous) == 0 {
                renamedPrevious = true
            } else {
                throw SQLiteSnapshotError(.io, path: targetPath, message: "cannot keep the old database as \(previous): \(errnoText())")
            }
        }
        for suffix in companionSuffixes where FileManager.default.fileExists(atPath: targetPath + suffix) {
            guard rename(targetPath + suffix, previous + suffix) == 0 else {
                throw SQLiteSnapshotError(.io, path: targetPath + suffix, message: "cannot move it to \(previous + suffix): \(errnoText())")
            }
            moved.append((targetPath + suffix, previous + suffix))
        }
        // 5. The swap itself: one rename within the folder.
        guard let staged, rename(staged, targetPath) == 0 else {
            throw SQLiteSnapshotError(.io, path: targetPath, message: "cannot move the restored database into place: \(errnoText())")
        }
    } catch {
        // Put everything back as it was, including the target's WAL setting that the lock step changed.
        if linkedPrevious { unlink(previous) }
        if renamedPrevious { _ = rename(previous, targetPath) }
        for m in moved.reversed() { _ = rename(m.to, m.from) }
        if let staged, staged != candidatePath, rename(staged, candidatePath) != 0 { unlink(staged) }
        if let lock {
            if !lock.isAutocommit { try? lock.execute("ROLLBACK") }
            if targetWasWAL { _ = try? lock.scalar("PRAGMA journal_mode = WAL") }
        }
        throw error
    }
    try fsyncFolder(folder)
    if let lock, !lock.isAutocommit { try? lock.execute("ROLLBACK") }
    lock = nil

    // 6. Check what is now in place; should it fail (a bad cross-device copy), put the old file back.
    do {
        let db = try Connection(path: targetPath, options: [.readWrite])
        try checkIntegrity(db, path: targetPath)
    } catch {
        let base = (error as? SQLiteError).map {
            SQLiteSnapshotError.wrapping($0, path: targetPath, doing: "checking the installed database")
        } ?? (error as? SQLiteSnapshotError)
            ?? SQLiteSnapshotError(.io, path: targetPath, message: "checking the installed database failed: \(error)")
        var note = ""
        if targetExists {
            // Anything beside the bad file belongs to it, not to the database coming back.
            for suffix in companionSuffixes { try? FileManager.default.removeItem(atPath: targetPath + suffix) }
            if rename(previous, targetPath) == 0 {
                for m in moved.reversed() { _ = rename(m.to, m.from) }
                if targetWasWAL, let old = try? Connection(path: targetPath, options: [.readWrite]) {
                    _ = try? old.scalar("PRAGMA journal_mode = WAL")
                }
                try? fsyncFolder(folder)
                note = "; the previous database was put back"
            } else {
                note = "; the previous database is kept at \(previous)"
            }
        }
        throw SQLiteSnapshotError(base.code, path: targetPath, message: base.message + note,
                                  integrityReport: base.integrityReport, underlying: base.underlying)
    }
    return RestoreOutcome(installed: realTarget,
                          previousCopy: targetExists ? URL(fileURLWithPath: previous) : nil,
                          movedCompanions: moved.map { URL(fileURLWithPath: $0.to) })
}

/// Throws `databaseInUse`, naming the processes, when another process has the file at `path` open.
func requireNoOtherHolders(_ path: String) throws {
    let holders = processesHolding(path)
    guard holders.isEmpty else {
        let list = holders.prefix(5).map { "\($0.command) (pid \($0.pid))" }.joined(separator: ", ")
        throw SQLiteSnapshotError(.databaseInUse, path: path,
                                  message: "database is in use by \(list); stop the application that uses it and try again")
    }
}

/// Opens the target and holds an exclusive lock on it; throws `databaseInUse` when another process has it.
///
/// Returns the connection holding the lock and whether the target was in WAL mode.
func lockTarget(_ path: String) throws -> (Connection, Bool) {
    let inUse = { (error: SQLiteError?) in
        SQLiteSnapshotError(.databaseInUse, path: path,
                            message: "database is in use by another process; stop the application that uses it and try again",
                            underlying: error)
    }
    do {
        let db = try Connection(path: path, options: [.readWrite])
        try db.setBusyTimeout(milliseconds: targetBusyTimeoutMilliseconds)
        // The first read rolls back a hot journal left by a crashed writer, so the kept copy is consistent.
        _ = try db.scalar("SELECT count(*) FROM sqlite_master")
        var wasWAL = false
        if try db.scalar("PRAGMA journal_mode")?.string?.lowercased() == "wal" {
            wasWAL = true
            // In WAL mode BEGIN EXCLUSIVE does not keep readers out. Leaving WAL checkpoints the -wal into
            // the main file and needs every other connection closed, so it doubles as the in-use check.
            let mode = try db.scalar("PRAGMA journal_mode = DELETE")?.string?.lowercased()
            guard mode == "delete" else { throw inUse(nil) }
        }
        do {
            try db.execute("BEGIN EXCLUSIVE")
        } catch {
            // Someone opened it in between: leave the application's WAL setting as it was.
            if wasWAL { _ = try? db.scalar("PRAGMA journal_mode = WAL") }
            throw error
        }
        return (db, wasWAL)
    } catch let error as SQLiteError where error.isBusy {
        throw inUse(error)
    } catch let error as SQLiteError where error.isCorrupt || error.isNotADatabase {
        throw SQLiteSnapshotError(.integrityCheckFailed, path: path,
                                  message: "the current database is too damaged to lock safely; move it away by hand (after stopping the application), then restore",
                                  underlying: error)
    } catch let error as SQLiteError {
        throw SQLiteSnapshotError.wrapping(error, path: path, doing: "locking the database before the restore")
    }
}

/// Puts the candidate in `folder` (renamed when on the same file system, else copied and fsynced) and returns its path.
func stage(_ candidate: String, in folder: String) throws -> String {
    let candidateFolder = URL(fileURLWithPath: candidate).deletingLastPathComponent().standardizedFileURL.path
    if candidateFolder == URL(fileURLWithPath: folder).standardizedFileURL.path {
        try fsyncFile(candidate)
        return candidate
    }
    let name = URL(fileURLWithPath: candidate).lastPathComponent
    let staged = URL(fileURLWithPath: folder).appendingPathComponent(".\(name).restore-\(getpid())-\(UUID().uuidString.prefix(8))").path
    if try renameSameFileSystem(candidate, staged) {
        try fsyncFile(staged)
    } else {
        try copyAndSync(candidate, staged)
    }
    return staged
}

/// `path`, or `path-2`, `path-3`, … when a file (or one of its companions) of that name already exists.
func uniquePreviousPath(_ path: String) -> String {
    func taken(_ p: String) -> Bool {
        ([""] + companionSuffixes).contains { FileManager.default.fileExists(atPath: p + $0) }
    }
    var candidate = path
    var n = 2
    while taken(candidate) {
        candidate = "\(path)-\(n)"
        n += 1
    }
    return candidate
}
