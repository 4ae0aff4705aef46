import Foundation
import Testing
import TestSupport

/// Creates a small SQLite database with two tables through the real `sqlite3` CLI.
func makeSQLiteDatabase(at url: URL, rows: Int = 50) throws {
    var sql = """
    PRAGMA journal_mode=WAL;
    CREATE TABLE materials (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, photo BLOB);
    CREATE TABLE "stock movements" (id INTEGER PRIMARY KEY, material_id INTEGER, qty REAL, note TEXT);
    BEGIN;

    """
    for i in 1...rows {
        sql += "INSERT INTO materials VALUES (\(i), 'material ''\(i)'' 轴承', \(Double(i) * 1.25), randomblob(32));\n"
        sql += "INSERT INTO \"stock movements\" VALUES (\(i), \(i), \(i % 7), 'line\nbreak, comma');\n"
    }
    sql += "COMMIT;\n"
    let r = try runProcess("sqlite3", [url.path], stdin: Data(sql.utf8))
    guard r.status == 0 else { throw TestSupportError("sqlite3 failed: \(r.stderr)") }
}

/// The non-manifest, non-partial files in a folder: what would look like a finished backup.
func artifacts(in folder: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder.path)
        .filter { !$0.hasSuffix(".manifest.json") && !$0.hasSuffix(".partial") && !$0.hasPrefix(".") }
        .sorted()
}

/// Today's date as the artifact names spell it (host local time).
func todayStamp() -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = .current
    f.dateFormat = "yyyyMMdd"
    return f.string(from: Date())
}

/// SHA-256 of a file through the real `sha256sum`.
func sha256sum(_ url: URL) throws -> String {
    let r = try runProcess("sha256sum", [url.path])
    return String(r.stdout.prefix(64))
}

/// Flips one byte of a file in place at `offset` (negative: from the end).
func flipByte(_ url: URL, at offset: Int) throws {
    var data = try Data(contentsOf: url)
    let i = offset >= 0 ? offset : data.count + offset
    data[i] ^= 0x5A
    try data.write(to: url)
}

/// File permission bits of a path.
func mode(of url: URL) throws -> Int {
    let attrs = try FileManager.default.attributesOfItem(atPath: url.path)
    return (attrs[.posixPermissions] as? Int) ?? -1
}
