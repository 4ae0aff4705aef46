/// Statements a restore refuses to run from a script it cannot trust, and settings it keeps for itself.
extension StatementInfo {
    /// Predefined roles that let their members run programs or read and write files on the database server.
    static let serverAccessRoles: Set<String> = ["pg_execute_server_program", "pg_read_server_files", "pg_write_server_files"]

    /// Why `sql` reaches beyond the database it is restored into, or nil when it does not.
    ///
    /// pg_dump never writes these: `COPY … FROM/TO PROGRAM` and server-side file `COPY` (a shell command or a file of
    /// the server's operating-system user), `ALTER SYSTEM` (the server's configuration), a role made `SUPERUSER`,
    /// `REPLICATION` or `BYPASSRLS` by `CREATE`/`ALTER ROLE|USER|GROUP`, membership in the server-access roles, and
    /// `DO` blocks (code the check cannot see into). Text inside strings, dollar quotes, quoted names and comments
    /// never matches: the statement is tokenized, and COPY data never reaches here.
    /// - Important: A check, not a sandbox: a function created by the script and called by it can still do what its
    ///   owner may. Restore scripts you do not trust as a role that is not a superuser.
    package static func hazard(_ sql: String) -> String? {
        guard let first = sql.utf8.first.map({ $0 | 0x20 }),
              [UInt8(ascii: "c"), UInt8(ascii: "a"), UInt8(ascii: "d"), UInt8(ascii: "g")].contains(first) else { return nil }
        let head = tokens(sql, limit: 3)
        guard let verb = head.first, verb.kind == .word else { return nil }
        var second = head.count > 1 && head[1].kind == .word ? head[1].text : nil
        // CREATE USER MAPPING names a role and generic options, not role attributes.
        if second == "user", head.count > 2, head[2].isWord("mapping") { second = "user mapping" }
        switch verb.text {
        case "copy":
            return copyHazard(tokens(sql))
        case "do":
            return "a DO block runs code on the server"
        case "alter" where second == "system":
            return "ALTER SYSTEM changes the server's configuration"
        case "create" where ["role", "user", "group"].contains(second ?? ""),
             "alter" where ["role", "user", "group"].contains(second ?? ""):
            let t = tokens(sql)
            // Role attributes come before SET/RESET/RENAME/IN DATABASE, whose values may be any word.
            for token in t.dropFirst(3) {
                if token.depth == 0 && ["set", "reset", "rename", "in"].contains(token.text) && token.kind == .word { break }
                if token.kind == .word && ["superuser", "replication", "bypassrls"].contains(token.text) {
                    return "\(verb.text.uppercased()) \(second!.uppercased()) … \(token.text.uppercased()) gives a role power over the whole server"
                }
            }
            return nil
        case "grant":
            let t = tokens(sql)
            // GRANT role TO role (no ON): role membership.
            guard !t.contains(where: { $0.depth == 0 && $0.isWord("on") }),
                  let role = t.first(where: { $0.isIdentifier && serverAccessRoles.contains($0.text) }) else { return nil }
            return "GRANT \(role.text) lets a role run programs or use files on the database server"
        default:
            return nil
        }
    }

    /// A `COPY` that reads or writes anything but the client's stdin/stdout.
    private static func copyHazard(_ t: [SQLToken]) -> String? {
        // The direction is the first FROM or TO outside parentheses (a column list or a query is inside them).
        guard let i = t.indices.dropFirst().first(where: { t[$0].depth == 0 && (t[$0].isWord("from") || t[$0].isWord("to")) }),
              i + 1 < t.count else { return nil }
        let direction = t[i].text.uppercased()
        let source = t[i + 1]
        if source.isWord("stdin") || source.isWord("stdout") { return nil }
        if source.isWord("program") { return "COPY … \(direction) PROGRAM runs a shell command on the database server" }
        if source.kind == .string {
            return "COPY … \(direction) 'file' \(direction == "FROM" ? "reads" : "writes") a file on the database server"
        }
        return nil
    }

    /// Whether `sql` sets `lock_timeout` (`SET [SESSION|LOCAL] lock_timeout …`), as pg_dump's and vaultops' headers do.
    package static func setsLockTimeout(_ sql: String) -> Bool {
        let t = tokens(sql, limit: 3)
        guard t.first?.isWord("set") == true, t.count > 1 else { return false }
        let name = t[1].isWord("session") || t[1].isWord("local") ? (t.count > 2 ? t[2] : t[1]) : t[1]
        return name.isWord("lock_timeout")
    }
}
