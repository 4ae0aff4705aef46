import Foundation
import LibPQ
import Logging
import Redaction

/// Restores `script` into a fresh, uniquely named scratch database on the server at `serverURL`,
/// counts the rows of every user table, and always drops the scratch database again.
///
/// Ownership and privilege statements are skipped (the roles may not exist on this server), and
/// database-level statements and `\connect` are ignored so everything lands in the scratch database.
/// - Returns: rows per table, keyed `schema.table`, to compare with the manifest's counts.
public func deepVerify(script: ScriptInput, serverURL: String,
                       logger: Logger = Logger(label: "vaultops.verify")) throws -> [String: Int64] {
    // Before anything can log it: libpq hides the password only in its own messages.
    Redacted.register(connection: serverURL)
    let scratch = "vaultops_verify_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
    let admin: Connection
    do {
        admin = try Connection(serverURL, logger: logger)
        try admin.execute("CREATE DATABASE \(quoteIdentifier(scratch)) TEMPLATE template0")
    } catch let error as PostgresError {
        throw PostgresRestoreError(kind: .target, message: "cannot create the scratch database for deep verification: \(error.message)",
                                   file: script.name, underlying: error)
    }
    let dropSQL = admin.serverVersionNumber >= 130000
        ? "DROP DATABASE IF EXISTS \(quoteIdentifier(scratch)) WITH (FORCE)"
        : "DROP DATABASE IF EXISTS \(quoteIdentifier(scratch))"
    var counts: [String: Int64] = [:]
    var failure: Error?
    do {
        let url = try ConnectionString.replacingDatabase(in: serverURL, with: scratch)
        let options = RestoreOptions(force: true, noOwner: true, noPrivileges: true, stayInTarget: true)
        _ = try ScriptRestorer(targetURL: url, options: options, logger: logger).restore(script)
        counts = try countRows(url: url, logger: logger)
    } catch {
        failure = error
    }
    do {
        try admin.execute(dropSQL)
    } catch let error as PostgresError {
        let dropFailure = PostgresRestoreError(kind: .target,
                                               message: "the scratch database \(scratch) could not be dropped: \(error.message)",
                                               file: script.name, underlying: error)
        if failure == nil { failure = dropFailure } else { logger.error("\(dropFailure.description)") }
    }
    if let failure { throw failure }
    return counts
}

/// Rows in every user table (ordinary tables and partitions; not views) of the database at `url`.
func countRows(url: String, logger: Logger) throws -> [String: Int64] {
    do {
        let connection = try Connection(url, logger: logger)
        let tables = try connection.execute("""
            SELECT n.nspname AS schema, c.relname AS name
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r'
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                              WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1, 2
            """)
        var counts: [String: Int64] = [:]
        for row in tables.rows {
            let name = QualifiedName([try row.string("schema"), try row.string("name")])
            let count = try connection.execute("SELECT count(*) AS n FROM ONLY \(name.sql)")
            counts[name.description] = try count.rows[0].int64("n")
        }
        return counts
    } catch let error as PostgresError {
        throw PostgresRestoreError(kind: .target, message: "cannot count rows in the scratch database: \(error.message)", underlying: error)
    }
}
