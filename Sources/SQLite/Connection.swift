import CSQLite
import Foundation

/// A connection to one SQLite database, owning its `sqlite3*` handle.
///
/// Follows https://www.sqlite.org/c3ref/open.html. The handle is opened with `SQLITE_OPEN_NOMUTEX`
/// (no per-connection mutex), so a connection must stay on one thread at a time.
///
/// - Important: Not thread-safe and not `Sendable`. Statements keep their connection alive, and the
///   connection is closed with `sqlite3_close_v2` when the last reference goes.
public final class Connection {
    /// How to open a database file; combine `readWrite` with `create` to create a missing file.
    public struct OpenOptions: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// Open read-only (`SQLITE_OPEN_READONLY`); the file must exist.
        public static let readOnly = OpenOptions(rawValue: SQLITE_OPEN_READONLY)
        /// Open for reading and writing (`SQLITE_OPEN_READWRITE`); the file must exist unless `create`.
        public static let readWrite = OpenOptions(rawValue: SQLITE_OPEN_READWRITE)
        /// Create the file when missing (`SQLITE_OPEN_CREATE`); only with `readWrite`.
        public static let create = OpenOptions(rawValue: SQLITE_OPEN_CREATE)
        /// Interpret `file:` paths as URI filenames (`SQLITE_OPEN_URI`), e.g. `file:x.db?mode=ro`.
        public static let uri = OpenOptions(rawValue: SQLITE_OPEN_URI)
    }

    /// How a transaction takes its locks (https://www.sqlite.org/lang_transaction.html).
    public enum TransactionKind: String, Sendable {
        case deferred = "DEFERRED"
        case immediate = "IMMEDIATE"
        case exclusive = "EXCLUSIVE"
    }

    /// The path (or URI) this connection was opened with.
    public let path: String
    let handle: OpaquePointer

    /// Opens the database at `path`.
    ///
    /// Without `.create`, a missing file is an error whose message says "no such file". A file that
    /// exists but does not start with SQLite's header is an `SQLITE_NOTADB` error saying
    /// "not a SQLite database", raised here rather than at the first query.
    public init(path: String, options: OpenOptions = [.readWrite, .create]) throws {
        self.path = path
        let isPlainFile = !(options.contains(.uri) && path.hasPrefix("file:")) && path != ":memory:" && !path.isEmpty
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, options.rawValue | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            // sqlite3_open_v2 usually hands back a handle even on failure: read its message, then free it
            // before throwing, so a failed open never leaks.
            var message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            let extended = db.map { sqlite3_extended_errcode($0) } ?? rc
            if let db { sqlite3_close_v2(db) }
            if isPlainFile, !options.contains(.create), !FileManager.default.fileExists(atPath: path) {
                message = "no such file (\(message))"
            }
            throw SQLiteError(extendedCode: extended, message: message, path: path)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        // SQLite only notices a foreign file at the first read; checking the header now gives a clear error
        // at the point where the user named the file. The read goes through SQLite's own descriptor: opening and
        // closing another one would drop every POSIX lock this process holds on the file, other connections'
        // included. Any other failure (a writer's lock, say) is left for the first real statement to report.
        if isPlainFile, let size = Self.fileSize(path), size > 0,
           sqlite3_exec(db, "SELECT 1 FROM sqlite_master LIMIT 0", nil, nil, nil) & 0xff == SQLITE_NOTADB {
            sqlite3_close_v2(db)
            throw SQLiteError(extendedCode: SQLITE_NOTADB,
                              message: "not a SQLite database (the file does not start with \"SQLite format 3\")",
                              path: path)
        }
    }

    deinit {
        // close_v2 defers the close until every statement is finalized; statements retain the connection anyway.
        sqlite3_close_v2(handle)
    }

    /// The version of the linked SQLite library, such as "3.40.1".
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    /// Whether the file at `path` starts with the SQLite header magic `"SQLite format 3\0"`.
    ///
    /// Returns false when the file is missing, unreadable or shorter than the header.
    /// - Important: closing its descriptor drops this process's POSIX locks on the file: never call it on a
    ///   database this process has open.
    public static func isSQLiteDatabase(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 16) else { return false }
        return head == Data("SQLite format 3\0".utf8)
    }

    static func fileSize(_ path: String) -> Int64? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? NSNumber else { return nil }
        return size.int64Value
    }

    /// Sets how long a statement waits for another connection's lock before failing with `SQLITE_BUSY`.
    ///
    /// See https://www.sqlite.org/c3ref/busy_timeout.html; 0 turns waiting off.
    public func setBusyTimeout(milliseconds: Int32) throws {
        try check(sqlite3_busy_timeout(handle, milliseconds), sql: nil)
    }

    /// Runs one or more SQL statements separated by semicolons, ignoring any rows they return.
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            // sqlite3_exec allocates its own message; copy it before freeing.
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(extendedCode: sqlite3_extended_errcode(handle), message: message, sql: sql, path: path)
        }
    }

    /// Compiles one SQL statement.
    public func prepare(_ sql: String) throws -> Statement {
        try Statement(connection: self, sql: sql)
    }

    /// Runs one statement with positional `bindings` and returns all its rows.
    public func query(_ sql: String, _ bindings: [SQLiteValue] = []) throws -> [SQLiteRow] {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        var rows: [SQLiteRow] = []
        let columns = statement.columnNames
        while try statement.step() {
            rows.append(SQLiteRow(columns: columns, values: statement.values()))
        }
        return rows
    }

    /// Runs one statement and returns the first column of its first row, or nil when it returns no row.
    public func scalar(_ sql: String, _ bindings: [SQLiteValue] = []) throws -> SQLiteValue? {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        guard try statement.step(), statement.columnCount > 0 else { return nil }
        return statement.column(0)
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    public func transaction<T>(_ kind: TransactionKind = .deferred, _ body: () throws -> T) throws -> T {
        try execute("BEGIN \(kind.rawValue)")
        let result: T
        do {
            result = try body()
        } catch {
            // The rollback error (if any) matters less than the one that caused it.
            if !isAutocommit { try? execute("ROLLBACK") }
            throw error
        }
        do {
            try execute("COMMIT")
        } catch {
            // A failed COMMIT (SQLITE_BUSY, a deferred foreign key) leaves the transaction open; end it.
            if !isAutocommit { try? execute("ROLLBACK") }
            throw error
        }
        return result
    }

    /// Whether no transaction is open (`sqlite3_get_autocommit`).
    public var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    /// The rowid of the most recent successful INSERT on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// The number of rows changed by the most recent INSERT, UPDATE or DELETE.
    public var changes: Int64 { Int64(sqlite3_changes(handle)) }

    /// The one funnel from SQLite result codes to `SQLiteError`.
    func check(_ rc: Int32, sql: String?) throws {
        guard rc != SQLITE_OK else { return }
        throw makeError(rc, sql: sql)
    }

    func makeError(_ rc: Int32, sql: String?) -> SQLiteError {
        // The handle's extended code belongs to the last failing call; keep it only when it agrees with rc.
        let extended = sqlite3_extended_errcode(handle)
        let code = (extended & 0xFF) == (rc & 0xFF) ? extended : rc
        return SQLiteError(extendedCode: code, message: String(cString: sqlite3_errmsg(handle)), sql: sql, path: path)
    }
}

@available(*, unavailable)
extension Connection: Sendable {}
