import CSQLite
import Foundation

/// An error reported by SQLite, with the result codes, SQLite's own message and what was being done.
///
/// See https://www.sqlite.org/rescode.html for the codes.
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CORRUPT`, …): the low 8 bits of `extendedCode`.
    public let code: Int32
    /// The extended result code (`SQLITE_BUSY_SNAPSHOT`, `SQLITE_CANTOPEN_ISDIR`, …).
    public let extendedCode: Int32
    /// SQLite's message (`sqlite3_errmsg`), possibly followed by an explanation of ours.
    public let message: String
    /// The first line of the SQL that failed, when a statement failed.
    public let sql: String?
    /// The database path of the connection, when known.
    public let path: String?

    /// Creates an error; `code` is derived from `extendedCode`.
    public init(extendedCode: Int32, message: String, sql: String? = nil, path: String? = nil) {
        self.extendedCode = extendedCode
        self.code = extendedCode & 0xFF
        self.message = message
        self.sql = sql.map(Self.firstLine)
        self.path = path
    }

    /// The symbolic name of the primary code, such as `SQLITE_BUSY`.
    public var codeName: String { Self.name(ofPrimaryCode: code) }

    /// Whether the database was locked by another connection (`SQLITE_BUSY` or `SQLITE_LOCKED`).
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    /// Whether SQLite found the file damaged (`SQLITE_CORRUPT`).
    public var isCorrupt: Bool { code == SQLITE_CORRUPT }
    /// Whether the file is not a SQLite database (`SQLITE_NOTADB`).
    public var isNotADatabase: Bool { code == SQLITE_NOTADB }
    /// Whether a read-only connection met a hot journal it may not roll back (`SQLITE_READONLY_ROLLBACK`).
    public var isReadOnlyRollback: Bool { extendedCode == SQLITE_READONLY | (3 << 8) }
    /// Whether the file could not be opened (`SQLITE_CANTOPEN`): missing, a folder, or no permission.
    public var isCantOpen: Bool { code == SQLITE_CANTOPEN }

    public var description: String {
        var text = "SQLite error \(codeName) (\(code)"
        if extendedCode != code { text += ", extended \(extendedCode)" }
        text += "): \(message)"
        if let sql { text += " — while running: \(sql)" }
        if let path { text += " — database: \(path)" }
        return text
    }

    static func firstLine(_ sql: String) -> String {
        let trimmed = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let newline = trimmed.firstIndex(where: \.isNewline) else { return trimmed }
        return String(trimmed[..<newline]) + " …"
    }

    /// The symbolic name of a primary result code.
    static func name(ofPrimaryCode code: Int32) -> String {
        switch code {
        case SQLITE_OK: "SQLITE_OK"
        case SQLITE_ERROR: "SQLITE_ERROR"
        case SQLITE_INTERNAL: "SQLITE_INTERNAL"
        case SQLITE_PERM: "SQLITE_PERM"
        case SQLITE_ABORT: "SQLITE_ABORT"
        case SQLITE_BUSY: "SQLITE_BUSY"
        case SQLITE_LOCKED: "SQLITE_LOCKED"
        case SQLITE_NOMEM: "SQLITE_NOMEM"
        case SQLITE_READONLY: "SQLITE_READONLY"
        case SQLITE_INTERRUPT: "SQLITE_INTERRUPT"
        case SQLITE_IOERR: "SQLITE_IOERR"
        case SQLITE_CORRUPT: "SQLITE_CORRUPT"
        case SQLITE_NOTFOUND: "SQLITE_NOTFOUND"
        case SQLITE_FULL: "SQLITE_FULL"
        case SQLITE_CANTOPEN: "SQLITE_CANTOPEN"
        case SQLITE_PROTOCOL: "SQLITE_PROTOCOL"
        case SQLITE_SCHEMA: "SQLITE_SCHEMA"
        case SQLITE_TOOBIG: "SQLITE_TOOBIG"
        case SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT"
        case SQLITE_MISMATCH: "SQLITE_MISMATCH"
        case SQLITE_MISUSE: "SQLITE_MISUSE"
        case SQLITE_NOLFS: "SQLITE_NOLFS"
        case SQLITE_AUTH: "SQLITE_AUTH"
        case SQLITE_RANGE: "SQLITE_RANGE"
        case SQLITE_NOTADB: "SQLITE_NOTADB"
        case SQLITE_NOTICE: "SQLITE_NOTICE"
        case SQLITE_WARNING: "SQLITE_WARNING"
        default: "SQLITE_\(code)"
        }
    }
}
