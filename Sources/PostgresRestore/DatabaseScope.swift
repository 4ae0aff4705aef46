/// Keeps a restore inside its target database: what to do with each statement or `\connect` of a script that
/// names a database (`CREATE`/`DROP`/`ALTER DATABASE`, `COMMENT ON DATABASE`, `GRANT … ON DATABASE`,
/// `ALTER ROLE … IN DATABASE`, `\connect`).
///
/// A script's statements about *its* database (the first one it names; pg_dump `-C` names the database it was
/// dumped from) are translated to the target, never followed: `CREATE DATABASE` is the target (created by
/// `--create` with the script's options, else the existing target), `DROP DATABASE` just before it is what
/// `--clean` or the empty-target check already do to the target, `\connect` stays in the target, and the
/// database's properties (owner, settings, comment, grants) are applied to the target when `--create` made it,
/// and left out otherwise (as `pg_restore` without `--create` does). A second database, a `DROP DATABASE` that is
/// not followed by the same database's `CREATE DATABASE`, and `ALTER DATABASE … RENAME` are refused, with the line.
package struct DatabaseScope: Equatable, Sendable {
    /// What the runner does with one database-level item.
    package enum Decision: Equatable, Sendable {
        /// Run this statement (the script's, with the database name replaced by the target's).
        case run(String)
        /// Run nothing: the item is translated away (see `notes`).
        case skip
        /// Make the target with this `CREATE DATABASE` (the script's options, the target's name) in place of the
        /// empty database `--create` made.
        case recreateTarget(String)
    }

    /// The target database's name.
    package let target: String
    /// Whether the restore created the target (`--create`).
    package let created: Bool
    /// The name the script uses for its own database, once it named one.
    package private(set) var scriptDatabase: String?
    /// A `DROP DATABASE` waiting for its `CREATE DATABASE` (pg_dump `-C -c` writes them together).
    private var pendingDrop: (name: String, line: Int)?
    /// What was translated, for the summary (one line each).
    package private(set) var notes: [String] = []

    package init(target: String, created: Bool) {
        self.target = target
        self.created = created
    }

    package static func == (a: DatabaseScope, b: DatabaseScope) -> Bool {
        a.target == b.target && a.created == b.created && a.scriptDatabase == b.scriptDatabase
            && a.pendingDrop?.name == b.pendingDrop?.name && a.pendingDrop?.line == b.pendingDrop?.line && a.notes == b.notes
    }

    /// Decides about `sql` (starting on `line`), which names databases at `references`.
    /// - Parameter targetIsFresh: whether nothing has been restored into the target yet.
    package mutating func statement(_ sql: String, line: Int, references: DatabaseReferences,
                                    targetIsFresh: Bool) throws(DatabaseScopeError) -> Decision {
        for name in references.names { try adopt(name, line: line, what: references.verb) }
        let name = references.names[0]
        switch references.verb {
        case .drop:
            try settlePendingDrop()
            pendingDrop = (name, line)
            return .skip
        case .create:
            if let drop = pendingDrop, drop.name == name { pendingDrop = nil }
            try settlePendingDrop()
            guard targetIsFresh else {
                throw DatabaseScopeError(line: line, message: "CREATE DATABASE \(name) comes after data was restored into \(target); a restore only fills its target")
            }
            if created {
                note("the script's CREATE DATABASE \(name) (line \(line)) made the target \(target), with the script's options")
                return .recreateTarget(references.renamed(sql, to: target))
            }
            note("the script's database \(name) (CREATE DATABASE at line \(line)) was restored into the target \(target)")
            return .skip
        case .rename, .connect:
            throw DatabaseScopeError(line: line, message: "the script renames database \(name); a restore never renames a database")
        case .properties:
            try settlePendingDrop()
            if created || references.names.allSatisfy({ $0 == target }) {
                return .run(references.renamed(sql, to: target))
            }
            note("database properties of \(name) (line \(line)) were not applied to \(target): that database existed before; restore with --create to get them")
            return .skip
        }
    }

    /// Decides about `\connect database` on `line`: the restore stays in the target, or refuses a second database.
    package mutating func connect(_ database: String, line: Int) throws(DatabaseScopeError) -> Decision {
        try adopt(database, line: line, what: .connect)
        try settlePendingDrop()
        if database != target { note("\\connect \(database) (line \(line)) stayed in the target \(target)") }
        return .skip
    }

    /// Called before any other statement and at the end of the script: a `DROP DATABASE` must have been followed by
    /// its `CREATE DATABASE` by then.
    package mutating func settlePendingDrop() throws(DatabaseScopeError) {
        guard let drop = pendingDrop else { return }
        pendingDrop = nil
        throw DatabaseScopeError(line: drop.line,
                                 message: "the script drops database \(drop.name) without creating it again; a restore never drops a database (it restores into \(target), and --clean drops what the dump creates there)")
    }

    /// Accepts `name` as the script's database (or the target's own name); refuses any other.
    private mutating func adopt(_ name: String, line: Int, what: DatabaseReferences.Verb) throws(DatabaseScopeError) {
        if name == target || name == scriptDatabase { return }
        if scriptDatabase == nil {
            scriptDatabase = name
            return
        }
        throw DatabaseScopeError(line: line, message: "the script moves on to a second database, \(name), after \(scriptDatabase!) "
            + "(\(what.description)); a restore touches only its target \(target): restore each database on its own")
    }

    private mutating func note(_ text: String) {
        if !notes.contains(text) { notes.append(text) }
    }
}

/// A script statement naming a database that is not the target's.
package struct DatabaseScopeError: Error, Equatable {
    package let line: Int
    package let message: String
}

/// The database names a statement refers to, and where they stand in its text.
package struct DatabaseReferences: Equatable, Sendable {
    /// What the statement does to the database.
    package enum Verb: Equatable, Sendable, CustomStringConvertible {
        case create, drop, rename, properties, connect

        package var description: String {
            switch self {
            case .create: "CREATE DATABASE"
            case .drop: "DROP DATABASE"
            case .rename: "ALTER DATABASE … RENAME"
            case .properties: "a statement about the database"
            case .connect: "\\connect"
            }
        }
    }

    package var verb: Verb
    /// The names, as the catalog spells them.
    package var names: [String]
    /// Their byte ranges in the statement's UTF-8.
    package var ranges: [Range<Int>]

    /// `sql` with every database name replaced by `target` (quoted).
    package func renamed(_ sql: String, to target: String) -> String {
        var bytes = Array(sql.utf8)
        for range in ranges.sorted(by: { $0.lowerBound > $1.lowerBound }) {
            bytes.replaceSubrange(range, with: Array(quoteIdentifier(target).utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The databases `sql` names, or nil when it names none: `CREATE`/`DROP`/`ALTER DATABASE name`,
    /// `COMMENT ON DATABASE name`, `SECURITY LABEL … ON DATABASE name`, `GRANT`/`REVOKE … ON DATABASE name, …`,
    /// `ALTER ROLE|USER … IN DATABASE name`.
    package static func find(_ sql: String) -> DatabaseReferences? {
        // Cheap tests first: almost no statement of a dump mentions a database.
        guard let firstByte = sql.utf8.first.map({ $0 | 0x20 }),
              [UInt8(ascii: "c"), UInt8(ascii: "d"), UInt8(ascii: "a"), UInt8(ascii: "s"), UInt8(ascii: "g"), UInt8(ascii: "r")].contains(firstByte),
              containsWordDatabase(sql) else { return nil }
        let t = StatementInfo.tokens(sql, limit: 256)
        func word(_ i: Int) -> String? { i < t.count && t[i].kind == .word ? t[i].text : nil }
        func one(_ verb: Verb, at i: Int) -> DatabaseReferences? {
            guard i < t.count, t[i].isIdentifier else { return nil }
            return DatabaseReferences(verb: verb, names: [t[i].text], ranges: [t[i].range])
        }
        switch word(0) {
        case "create" where word(1) == "database":
            return one(.create, at: 2)
        case "drop" where word(1) == "database":
            return one(.drop, at: word(2) == "if" && word(3) == "exists" ? 4 : 2)
        case "alter" where word(1) == "database":
            return one(word(3) == "rename" ? .rename : .properties, at: 2)
        case "alter" where word(1) == "role" || word(1) == "user":
            guard let i = t.indices.dropLast().first(where: { t[$0].isWord("in") && t[$0 + 1].isWord("database") && t[$0].depth == 0 }) else { return nil }
            return one(.properties, at: i + 2)
        case "comment", "security", "grant", "revoke":
            // The object is the first ON DATABASE at the top level (a comment's text is a string token).
            guard let i = t.indices.dropLast().first(where: { t[$0].isWord("on") && t[$0 + 1].isWord("database") && t[$0].depth == 0 }) else { return nil }
            var j = i + 2
            var found = DatabaseReferences(verb: .properties, names: [], ranges: [])
            while j < t.count, t[j].isIdentifier {
                found.names.append(t[j].text)
                found.ranges.append(t[j].range)
                guard j + 1 < t.count, t[j + 1].isSymbol(",") else { break }
                j += 2
            }
            return found.names.isEmpty ? nil : found
        default:
            return nil
        }
    }

    /// Whether "database" occurs in `sql`, in any case.
    private static func containsWordDatabase(_ sql: String) -> Bool {
        let needle = Array("database".utf8)
        let bytes = sql.utf8
        var matched = 0
        for b in bytes {
            if b | 0x20 == needle[matched] {
                matched += 1
                if matched == needle.count { return true }
            } else {
                matched = b | 0x20 == needle[0] ? 1 : 0
            }
        }
        return false
    }
}
