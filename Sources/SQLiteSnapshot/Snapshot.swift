import Foundation
import SQLite

/// What a snapshot contains and where it came from, for the artifact's manifest.
public struct SnapshotInfo: Sendable, Equatable {
    /// The live database that was copied.
    public let source: URL
    /// The snapshot file written.
    public let snapshot: URL
    /// Rows per user table (internal `sqlite_%` tables left out), as read from the snapshot.
    public let rowCounts: [String: Int64]
    /// The SQLite library version that made the snapshot.
    public let sqliteVersion: String
    /// The page size of the snapshot, in bytes.
    public let pageSize: Int64
    /// The number of pages in the snapshot.
    public let pageCount: Int64
    /// The size of the snapshot file, in bytes.
    public let byteCount: Int64
    /// The source's journal mode when the snapshot was taken ("wal", "delete", …).
    public let sourceJournalMode: String
}

/// How long the source connection waits for a writer's lock before giving up.
///
/// In WAL mode readers never wait for writers, so this only matters for rollback-journal databases,
/// where a long write transaction holds the lock; 10 s covers ordinary application transactions
/// without letting a stuck writer hang a nightly backup.
let sourceBusyTimeoutMilliseconds: Int32 = 10_000

/// Copies a live SQLite database into a new, self-contained file with `VACUUM INTO`, then checks it.
///
/// The source is opened read-only (a missing file is never created). `VACUUM INTO` reads it in one
/// read transaction, so the copy is a consistent point in time; in WAL mode writers keep committing
/// while it runs, in rollback-journal mode they wait only for the copy itself. The snapshot is put in
/// `DELETE` journal mode (a single file, no `-wal` needed) and, when `checked`, must pass
/// `PRAGMA integrity_check` and has its rows counted. On any failure the partial snapshot file is removed.
///
/// The snapshot is not fsynced: it is a working copy on the way to the compressed artifact, which is.
///
/// - Parameters:
///   - source: the live database file.
///   - temp: where to write the snapshot; must not exist yet.
///   - checked: false leaves `integrityCheck(path:)` and `rowCounts(path:)` to the caller (`rowCounts` is then
///     empty), so that they can run while the snapshot is being compressed.
public func snapshot(of source: URL, into temp: URL, checked: Bool = true) throws -> SnapshotInfo {
    let sourcePath = source.path
    let tempPath = temp.path
    try requireDatabaseFile(sourcePath)
    try requireFolder(of: temp)
    // Created empty first (VACUUM INTO accepts an empty file): O_EXCL makes "never overwrite" atomic, and
    // mode 0600 keeps the copy as private as a backup must be, whatever SQLite's default would be.
    try createEmptyPrivateFile(tempPath)

    let journalMode: String
    do {
        do {
            journalMode = try vacuumInto(tempPath, from: sourcePath, options: [.readOnly])
        } catch let error as SQLiteError where error.code == 1 /* SQLITE_ERROR */ && error.message.contains("values were supplied") {
            // SQLite before 3.42 cannot VACUUM INTO from a read-only connection when a table has generated
            // columns ("table vacuum_db.t has N columns but N+1 values were supplied"). A read-write
            // connection (never SQLITE_OPEN_CREATE) only reads the source here, so fall back to one.
            guard truncate(tempPath, 0) == 0 else { throw error }
            journalMode = try vacuumInto(tempPath, from: sourcePath, options: [.readWrite])
        }
    } catch let error as SQLiteError {
        removeSnapshotFiles(tempPath)
        throw SQLiteSnapshotError.wrapping(error, path: sourcePath, doing: "copying with VACUUM INTO \(tempPath)")
    } catch {
        removeSnapshotFiles(tempPath)
        throw error
    }

    do {
        let pageSize: Int64
        let pageCount: Int64
        let counts: [String: Int64]
        do {
            let db = try Connection(path: tempPath, options: [.readWrite])
            // A backup file must stand alone: make sure its header asks for a rollback journal, never WAL,
            // whatever the SQLite version in use carried over from a WAL source.
            let mode = try db.scalar("PRAGMA journal_mode = DELETE")?.string
            guard mode?.lowercased() == "delete" else {
                throw SQLiteSnapshotError(.sqlite, path: tempPath,
                                          message: "could not switch the snapshot to journal_mode DELETE (it stays \(mode ?? "unknown"))")
            }
            if checked {
                try checkIntegrity(db, path: tempPath)
                counts = try rowCounts(db)
            } else {
                counts = [:]
            }
            pageSize = try db.scalar("PRAGMA page_size")?.int64 ?? 0
            pageCount = try db.scalar("PRAGMA page_count")?.int64 ?? 0
        } catch let error as SQLiteError {
            throw SQLiteSnapshotError.wrapping(error, path: tempPath, doing: "checking the snapshot")
        }
        let byteCount = (try? FileManager.default.attributesOfItem(atPath: tempPath)[.size] as? NSNumber)?.int64Value
            ?? pageSize * pageCount
        return SnapshotInfo(source: source, snapshot: temp, rowCounts: counts, sqliteVersion: Connection.libraryVersion,
                            pageSize: pageSize, pageCount: pageCount, byteCount: byteCount,
                            sourceJournalMode: journalMode.lowercased())
    } catch {
        removeSnapshotFiles(tempPath)
        throw error
    }
}

/// Copies the database at `sourcePath` into the empty file `tempPath` with `VACUUM INTO`; returns its journal mode.
private func vacuumInto(_ tempPath: String, from sourcePath: String, options: Connection.OpenOptions) throws -> String {
    let db = try Connection(path: sourcePath, options: options)
    try db.setBusyTimeout(milliseconds: sourceBusyTimeoutMilliseconds)
    let journalMode = try db.scalar("PRAGMA journal_mode")?.string ?? "unknown"
    // The INTO argument is an expression, so the path is bound, never spliced into the SQL.
    // The source connection is opened without SQLITE_OPEN_URI, so the path is always a plain file name.
    let vacuum = try db.prepare("VACUUM INTO ?")
    try vacuum.bind(.text(tempPath), at: 1)
    try vacuum.run()
    return journalMode
}

/// Runs `PRAGMA integrity_check` on the database at `path` and throws its report when it is not "ok".
///
/// The file is opened read-only; a missing file, a foreign file or one too damaged to open is an error too.
public func integrityCheck(path: String) throws {
    try requireDatabaseFile(path)
    do {
        let db = try Connection(path: path, options: [.readOnly])
        try checkIntegrity(db, path: path)
    } catch let error as SQLiteError {
        throw SQLiteSnapshotError.wrapping(error, path: path, doing: "running PRAGMA integrity_check")
    }
}

/// Counts the rows of every user table of the database at `path` (internal `sqlite_%` tables left out).
public func rowCounts(path: String) throws -> [String: Int64] {
    try requireDatabaseFile(path)
    do {
        let db = try Connection(path: path, options: [.readOnly])
        return try rowCounts(db)
    } catch let error as SQLiteError {
        throw SQLiteSnapshotError.wrapping(error, path: path, doing: "counting rows")
    }
}

/// Throws the integrity report unless `PRAGMA integrity_check` says exactly "ok".
func checkIntegrity(_ db: Connection, path: String) throws {
    let report = try db.query("PRAGMA integrity_check").compactMap { $0[0].string }
    guard report == ["ok"] else {
        throw SQLiteSnapshotError(.integrityCheckFailed, path: path,
                                  message: "PRAGMA integrity_check found problems", integrityReport: report)
    }
}

/// Counts rows of each user table through an open connection.
func rowCounts(_ db: Connection) throws -> [String: Int64] {
    // Virtual tables are left out: counting one needs its module (an extension may be missing here),
    // and their data lives in ordinary shadow tables that are counted anyway.
    let tables = try db.query("""
        SELECT name FROM sqlite_master
        WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
          AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL TABLE%'
        ORDER BY name
        """).compactMap { $0[0].string }
    var counts: [String: Int64] = [:]
    for table in tables {
        counts[table] = try db.scalar("SELECT count(*) FROM \(quoteIdentifier(table))")?.int64 ?? 0
    }
    return counts
}

/// Throws a clear error unless `path` is an existing, non-empty file with SQLite's header.
func requireDatabaseFile(_ path: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw SQLiteSnapshotError(.noSuchFile, path: path, message: "no such file")
    }
    guard !isDirectory.boolValue else {
        throw SQLiteSnapshotError(.notADatabase, path: path, message: "not a SQLite database (it is a folder)")
    }
    // SQLite treats an empty file as an empty database, but backing one up hides a wrong path.
    guard let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber, size.int64Value > 0 else {
        throw SQLiteSnapshotError(.notADatabase, path: path, message: "not a SQLite database (the file is empty)")
    }
    guard Connection.isSQLiteDatabase(path: path) else {
        throw SQLiteSnapshotError(.notADatabase, path: path,
                                  message: "not a SQLite database (the file does not start with \"SQLite format 3\")")
    }
}

/// Throws `folderMissing` unless the folder that would hold `file` exists.
func requireFolder(of file: URL) throws {
    let folder = file.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw SQLiteSnapshotError(.folderMissing, path: folder, message: "the folder does not exist")
    }
}

/// Removes a partial snapshot and any journal SQLite may have left beside it.
func removeSnapshotFiles(_ path: String) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        try? FileManager.default.removeItem(atPath: path + suffix)
    }
}
