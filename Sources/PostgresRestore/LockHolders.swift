import LibPQ
import Logging

/// Who holds the lock a restore statement gave up waiting for (`lock_timeout`), in words a person can act on.
enum LockHolders {
    /// The backends holding locks on the relations `statement` names (else on any user relation) in the database at
    /// `url`, other than the restore's own backend `excludingPID`: pid, application_name, user, state, since when,
    /// and the last query. Never throws: a failed lookup says so instead.
    static func describe(url: String, statement: String, excludingPID: Int, logger: Logger) -> String {
        // Relations the statement names (a DROP's or ALTER's table, a foreign key's other table): the likeliest waits.
        let tokens = StatementInfo.tokens(statement, limit: 512)
        var names: Set<String> = []
        var i = 0
        while i < tokens.count {
            if let (name, after) = StatementInfo.qualifiedName(tokens, at: i), after > i {
                if name.parts.count <= 2 { names.insert(name.sql) }
                i = after
            } else {
                i += 1
            }
        }
        do {
            // A fresh connection: the restore's own is inside the transaction the timeout aborted.
            let connection = try Connection(url, logger: logger)
            _ = try connection.execute("SET lock_timeout = '5s'; SET statement_timeout = '10s'")
            let list = "{" + names.sorted().map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
                .joined(separator: ",") + "}"
            var rows = try holders(connection, names: list, excluding: excludingPID)
            if rows.isEmpty { rows = try holders(connection, names: nil, excluding: excludingPID) }
            guard !rows.isEmpty else {
                return "no other session holds a lock on this database's tables any more (it ended meanwhile); try again"
            }
            let first = rows[0]
            return rows.map(\.text).joined(separator: "; ")
                + ". End that session or its transaction (SELECT pg_terminate_backend(\(first.pid)); as a superuser or the same user), "
                + "or wait for it and try again; --lock-timeout sets how long to wait"
        } catch {
            return "could not look up which session holds it (\(error))"
        }
    }

    private struct Holder {
        let pid: Int
        let text: String
    }

    /// Holders of granted relation locks; `names` is a text[] literal of relation names, or nil for every user relation.
    private static func holders(_ connection: Connection, names: String?, excluding pid: Int) throws -> [Holder] {
        let result = try connection.query("""
            SELECT a.pid, coalesce(a.application_name, '') AS app, coalesce(a.usename::text, '') AS usr,
                   coalesce(a.state, '') AS state, coalesce(to_char(coalesce(a.xact_start, a.query_start), 'YYYY-MM-DD HH24:MI:SS TZ'), '') AS since,
                   left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 120) AS query,
                   string_agg(DISTINCT l.relation::regclass::text, ', ') AS relations
            FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
            WHERE l.granted AND l.locktype = 'relation' AND l.pid <> $1::int AND l.pid <> pg_catalog.pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
              AND l.relation >= 16384
              AND ($2::text[] IS NULL OR l.relation IN (SELECT pg_catalog.to_regclass(n) FROM unnest($2::text[]) n))
            GROUP BY 1, 2, 3, 4, 5, 6
            ORDER BY min(coalesce(a.xact_start, a.query_start)) NULLS LAST
            LIMIT 3
            """, [String(pid), names])
        return try result.rows.map { row in
            let pid = try row.int("pid")
            let state = try row.string("state")
            var query = try row.string("query")
            // Another session's query text is not ours to show in full: literals go when it mentions a password.
            if query.lowercased().contains("password") { query = PostgresRestoreError.maskLiterals(query) }
            let text = "PostgreSQL backend pid \(pid) (application_name \"\(try row.string("app"))\", user \(try row.string("usr")), "
                + "\(state.isEmpty ? "state unknown" : state) since \(try row.string("since")), last query: \(query)) "
                + "holds a lock on \(try row.optionalString("relations") ?? "?")"
            return Holder(pid: pid, text: text)
        }
    }
}
