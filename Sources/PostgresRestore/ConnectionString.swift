import LibPQ

/// Pure helpers over libpq connection strings, for moving to another database on the same server.
package enum ConnectionString {
    /// The database named in `conninfo`, or nil when it names none (libpq then uses the user name or PGDATABASE).
    package static func database(of conninfo: String) throws -> String? {
        guard let options = ConnectionInfo.parse(conninfo) else {
            throw PostgresRestoreError(kind: .target, message: "the target connection string cannot be parsed")
        }
        if let name = options["dbname"], !name.isEmpty { return name }
        return nil
    }

    /// `conninfo` as a keyword/value string with `dbname` replaced, everything else (host, user, password, sslmode…) kept.
    package static func replacingDatabase(in conninfo: String, with database: String) throws -> String {
        guard var options = ConnectionInfo.parse(conninfo) else {
            throw PostgresRestoreError(kind: .target, message: "the target connection string cannot be parsed")
        }
        options["dbname"] = database
        return options.sorted { $0.key < $1.key }.map { "\($0.key)=\(quote($0.value))" }.joined(separator: " ")
    }

    /// A keyword/value string value: single-quoted, with `\` and `'` escaped by a backslash.
    package static func quote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
