import Foundation
import LibPQ

/// How much of a globals script `GlobalsRestorer` applies.
public enum GlobalsRestoreMode: Sendable {
    /// Roles, memberships and role settings; `ALTER ROLE … IN DATABASE` only for databases that exist. No
    /// tablespace or database is created or altered.
    case rolesAndSettings
    /// Everything: roles, tablespaces, and every database (created when missing) with its properties.
    case everything
}

/// Choices for `GlobalsRestorer.restore`.
public struct GlobalsRestoreOptions: Sendable {
    /// Tablespace locations to use instead of the source's: source location → target location
    /// (as `pg_basebackup --tablespace-mapping`), for a target on the same machine or with other disks.
    public var tablespaceLocations: [String: String]
    /// Leave out the owners of tablespaces and databases (they belong to the restoring user), as `--no-owner`.
    public var noOwner: Bool
    /// Leave out GRANT/REVOKE on tablespaces, databases and parameters, as `--no-privileges`; memberships stay.
    public var noPrivileges: Bool

    public init(tablespaceLocations: [String: String] = [:], noOwner: Bool = false, noPrivileges: Bool = false) {
        self.tablespaceLocations = tablespaceLocations
        self.noOwner = noOwner
        self.noPrivileges = noPrivileges
    }
}

/// What `GlobalsRestorer.restore` did.
public struct GlobalsRestoreReport: Sendable {
    /// Roles the target did not have.
    public var rolesCreated: [String] = []
    /// Roles the target had, now altered to match the script.
    public var rolesAltered: [String] = []
    /// Databases created (empty; their contents come from their own dumps).
    public var databasesCreated: [String] = []
    /// Databases the target already had, whose properties were applied.
    public var databasesExisting: [String] = []
    /// Tablespaces created.
    public var tablespacesCreated: [String] = []
    /// What was skipped and why.
    public var notes: [String] = []
}

/// Restores a globals script (PostgresDump's `GlobalsDumper`) onto a server.
///
/// The roles section runs in one transaction. `CREATE TABLESPACE` and `CREATE DATABASE` cannot run in a
/// transaction, so each runs alone, and only when the tablespace or database is missing; the rest of each of
/// their sections (owner, settings, ACL, comment) then runs in a transaction of its own. The script is trusted:
/// it creates roles, superusers included, as the server it was dumped from had them.
public enum GlobalsRestorer {
    /// Restores `script` (read whole: a globals script is small) onto the server `conninfo` connects to, as a
    /// user that may create roles and databases (a superuser for superuser roles and password hashes).
    public static func restore(script: ScriptInput, to conninfo: String, mode: GlobalsRestoreMode,
                               options: GlobalsRestoreOptions = GlobalsRestoreOptions()) throws -> GlobalsRestoreReport {
        let bytes: [UInt8]
        do {
            bytes = try script.open().readAll()
        } catch let error as PostgresRestoreError {
            throw error
        } catch {
            throw PostgresRestoreError(kind: .io, message: "cannot read the globals script: \(error)", file: script.name)
        }
        let parsed = try GlobalsScript.parse(bytes, name: script.name)
        let connection: Connection
        do {
            connection = try Connection(conninfo)
        } catch let error as PostgresError {
            throw PostgresRestoreError(kind: .target, message: "cannot connect: \(error.message)", underlying: error)
        }
        var run = GlobalsRun(connection: connection, name: script.name, options: options, roles: parsed.roles)
        for var section in parsed.sections {
            section.statements.removeAll { statement in
                (options.noOwner && statement.tag == "owner") || (options.noPrivileges && statement.tag == "privileges")
            }
            switch section.kind {
            case .header: try run.autocommit(section.statements, object: "the script's settings")
            case .roles: try run.roles(section.statements)
            case .tablespace(let name):
                if mode == .everything { try run.tablespace(name, section.statements) }
            case .database(let name, let create):
                try run.database(name, create: create, section.statements, mode: mode)
            }
        }
        return run.report
    }
}

/// The state of one globals restore: its connection, its report.
private struct GlobalsRun {
    let connection: Connection
    let name: String
    let options: GlobalsRestoreOptions
    let roles: [(name: String, line: Int)]
    var report = GlobalsRestoreReport()

    init(connection: Connection, name: String, options: GlobalsRestoreOptions, roles: [(name: String, line: Int)]) {
        self.connection = connection
        self.name = name
        self.options = options
        self.roles = roles
    }

    /// The roles section in one transaction; the report tells created from altered roles.
    mutating func roles(_ statements: [GlobalsScript.Statement]) throws {
        let existing = try names("SELECT rolname AS name FROM pg_catalog.pg_roles")
        try transaction(statements) { line in
            let role = roles.last { $0.line < line }
            return role.map { "role \"\($0.name)\"" } ?? "role memberships and settings"
        }
        for role in roles {
            if existing.contains(role.name) { report.rolesAltered.append(role.name) } else { report.rolesCreated.append(role.name) }
        }
    }

    /// A tablespace: created (alone, at its mapped location) when missing, then its properties in a transaction.
    mutating func tablespace(_ tablespace: String, _ statements: [GlobalsScript.Statement]) throws {
        guard let create = statements.first else { return }
        let object = "tablespace \"\(tablespace)\""
        if try exists("SELECT 1 FROM pg_catalog.pg_tablespace WHERE spcname = $1", tablespace) {
            report.notes.append("\(object) exists: kept where it is")
        } else {
            var sql = create.sql
            for (from, to) in options.tablespaceLocations {
                sql = sql.replacingOccurrences(of: "LOCATION \(literal(from));", with: "LOCATION \(literal(to));")
            }
            try autocommit([GlobalsScript.Statement(sql: sql, line: create.line)], object: object)
            report.tablespacesCreated.append(tablespace)
        }
        try transaction(Array(statements.dropFirst())) { _ in object }
    }

    /// A database: created (alone) when missing and the mode allows, then its properties in a transaction; with
    /// `.rolesAndSettings`, only its `ALTER ROLE … IN DATABASE` settings, and only when it exists.
    mutating func database(_ database: String, create: Bool, _ statements: [GlobalsScript.Statement],
                           mode: GlobalsRestoreMode) throws {
        let object = "database \"\(database)\""
        let exists = try exists("SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", database)
        var rest = create ? Array(statements.dropFirst()) : statements
        if mode == .rolesAndSettings {
            guard exists else { return }
            rest = rest.filter { $0.sql.hasPrefix("ALTER ROLE ") }
        } else if exists {
            report.databasesExisting.append(database)
        } else if create, let first = statements.first {
            try autocommit([first], object: object)
            report.databasesCreated.append(database)
        } else {
            report.notes.append("\(object) is missing on the target and is not created (every server is expected to have it)")
            return
        }
        try transaction(rest) { _ in object }
    }

    /// Runs `statements` one by one outside a transaction.
    func autocommit(_ statements: [GlobalsScript.Statement], object: String) throws {
        for statement in statements { try execute(statement, object: object) }
    }

    /// Runs `statements` in one transaction, rolled back on the first error; `object` names what a line belongs to.
    func transaction(_ statements: [GlobalsScript.Statement], object: (Int) -> String) throws {
        guard !statements.isEmpty else { return }
        try execute(GlobalsScript.Statement(sql: "BEGIN", line: 0), object: "a transaction")
        do {
            for statement in statements { try execute(statement, object: object(statement.line)) }
            try execute(GlobalsScript.Statement(sql: "COMMIT", line: 0), object: "a transaction")
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private func execute(_ statement: GlobalsScript.Statement, object: String) throws {
        do {
            _ = try connection.execute(statement.sql)
        } catch let error as PostgresError {
            throw PostgresRestoreError(kind: error.kind == .connectionLost ? .connectionLost : .statementFailed,
                                       message: "\(object): \(error.message)", file: name,
                                       line: statement.line > 0 ? statement.line : nil, statement: statement.sql, underlying: error)
        }
    }

    private func exists(_ sql: String, _ value: String) throws -> Bool {
        do {
            return try connection.query(sql, [value]).rowCount > 0
        } catch let error as PostgresError {
            throw PostgresRestoreError(kind: .target, message: "cannot read the target's catalog: \(error.message)", underlying: error)
        }
    }

    private func names(_ sql: String) throws -> Set<String> {
        do {
            return Set(try connection.execute(sql).rows.map { try $0.string("name") })
        } catch let error as PostgresError {
            throw PostgresRestoreError(kind: .target, message: "cannot read the target's catalog: \(error.message)", underlying: error)
        }
    }

    private func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
