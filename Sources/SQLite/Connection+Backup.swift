import CSQLite

extension Connection {
    /// Copies this connection's main database page for page into `destination` (sqlite3_backup, one step).
    ///
    /// Unlike VACUUM INTO, pages keep their numbers, so WAL frames of the source apply to the copy. When this
    /// connection has a read transaction open, the copy is the database as that transaction sees it.
    /// See https://www.sqlite.org/c3ref/backup_finish.html.
    public func backup(into destination: Connection) throws {
        guard let backup = sqlite3_backup_init(destination.handle, "main", handle, "main") else {
            throw destination.makeError(sqlite3_errcode(destination.handle), sql: nil)
        }
        let stepResult = sqlite3_backup_step(backup, -1)
        let finishResult = sqlite3_backup_finish(backup)
        guard stepResult == SQLITE_DONE else {
            throw SQLiteError(extendedCode: stepResult, message: "backup: " + String(cString: sqlite3_errstr(stepResult)), path: path)
        }
        try destination.check(finishResult, sql: nil)
    }
}
