import Foundation

/// What `GlobalsDumper` leaves out, as pg_dumpall's `--no-role-passwords`, `--no-owner` and `--no-privileges` do.
public struct GlobalsOptions: Sendable {
    /// Roles without their password hashes (and `pg_authid` is not read).
    public var noRolePasswords = false
    /// No `OWNER` for tablespaces and databases.
    public var noOwner = false
    /// No `GRANT`/`REVOKE` for tablespaces and databases.
    public var noPrivileges = false

    public init() {}
}

/// What a globals script holds, and what it could not hold.
public struct GlobalsSummary: Sendable {
    /// Role names, sorted (without the `pg_` predefined roles).
    public var roles: [String]
    /// Database names whose properties the script carries (template1 and postgres altered only), sorted.
    public var databases: [String]
    /// Tablespace names (without pg_default and pg_global), sorted.
    public var tablespaces: [String]
    /// Whether the roles' password hashes are in the script.
    public var passwordsIncluded: Bool
    /// What was left out and why (no access to `pg_authid`), for the user.
    public var warnings: [String]
}

/// The section markers of a globals script, which `GlobalsRestorer` (PostgresRestore) reads.
///
/// Each is a whole comment line of its own between statements; a name is percent-encoded (every byte outside
/// printable ASCII, and `%` and space, as `%XX`), so any name fits on the line and decodes exactly:
/// ```
/// -- vaultops:globals 1                       first line; the format version
/// -- vaultops:roles                           roles, memberships, role settings: one transaction
/// -- vaultops:role NAME                       before the statements of one role
/// -- vaultops:tablespace NAME                 CREATE TABLESPACE (alone), then its ALTER/GRANT/COMMENT
/// -- vaultops:database NAME create            CREATE DATABASE (alone), then its properties
/// -- vaultops:database NAME alter             an existing database (template1, postgres): properties only
/// -- vaultops:owner                           the next statement sets an owner
/// -- vaultops:privileges                      the next statement grants or revokes privileges
/// -- vaultops:end                             the script is complete
/// ```
/// The `owner` and `privileges` tags let a restore leave owners and privileges out (`--no-owner`, `--no-privileges`).
/// A database's properties are `ALTER DATABASE` (owner, connection limit, flags, settings), its ACL, its comment
/// and `ALTER ROLE … IN DATABASE … SET`, so they apply to a database that already exists too.
public enum GlobalsMarkers {
    /// The prefix of every marker line.
    public static let prefix = "-- vaultops:"

    /// The tag line before a statement that sets an owner.
    static let owner = prefix + "owner\n"

    /// ACL statements (one a line), each after a `privileges` tag line.
    static func tagged(privileges: String) -> String {
        privileges.split(separator: "\n").map { prefix + "privileges\n" + $0 + "\n" }.joined()
    }

    /// `name` percent-encoded for a marker line.
    public static func encode(_ name: String) -> String {
        var out = ""
        for byte in name.utf8 {
            if byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}

/// Pure SQL text of a globals script: each function gets names already quoted as identifiers.
enum GlobalsSQL {
    /// One role as the catalog describes it.
    struct Role: Equatable {
        var name: String
        var qname: String
        var isBootstrap = false
        var superuser = false, inherit = true, createRole = false, createDB = false, login = false
        var replication = false, bypassRLS = false
        var connectionLimit = -1
        var password: String?
        var validUntil: String?
        var comment: String?
    }

    /// The statements for `role`: created only when missing, then altered to match, so restoring onto a server where
    /// the role exists works; the bootstrap superuser's password is not set.
    static func role(_ role: Role) -> String {
        var out = "\(GlobalsMarkers.prefix)role \(GlobalsMarkers.encode(role.name))\n"
        // The bootstrap superuser is guarded too: it exists on the target whenever both servers' bootstrap
        // superusers share a name, so it is only altered; when they differ (`postgres` onto a server initialised
        // with another name) it is created, as pg_dumpall's CREATE ROLE does, since the databases it owns and its
        // settings name it. Nothing is ever dropped.
        out += "DO $vaultops$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = "
            + "\(SQLText.literal(role.name))) THEN CREATE ROLE \(role.qname); END IF; END $vaultops$;\n"
        var attributes = [
            role.superuser ? "SUPERUSER" : "NOSUPERUSER", role.inherit ? "INHERIT" : "NOINHERIT",
            role.createRole ? "CREATEROLE" : "NOCREATEROLE", role.createDB ? "CREATEDB" : "NOCREATEDB",
            role.login ? "LOGIN" : "NOLOGIN", role.replication ? "REPLICATION" : "NOREPLICATION",
            role.bypassRLS ? "BYPASSRLS" : "NOBYPASSRLS",
        ]
        if role.connectionLimit != -1 { attributes.append("CONNECTION LIMIT \(role.connectionLimit)") }
        // The bootstrap superuser keeps the target's password: a restore usually connects as it, and the new
        // server's administrators chose that password (its other attributes still follow the source).
        if let password = role.password, !role.isBootstrap { attributes.append("PASSWORD \(SQLText.literal(password))") }
        if let validUntil = role.validUntil { attributes.append("VALID UNTIL \(SQLText.literal(validUntil))") }
        out += "ALTER ROLE \(role.qname) WITH \(attributes.joined(separator: " "));\n"
        if let comment = role.comment { out += "COMMENT ON ROLE \(role.qname) IS \(SQLText.literal(comment));\n" }
        return out
    }

    /// One row of pg_auth_members, names quoted; `grantor` nil when it is the bootstrap superuser or unknown.
    struct Membership: Equatable {
        var role: String
        var member: String
        var grantor: String?
        var admin = false
        /// nil before PostgreSQL 16, which had no per-grant INHERIT and SET options.
        var inherit: Bool?
        var set: Bool?
    }

    /// `GRANT role TO member …` with the options the server version has.
    static func grant(_ m: Membership) -> String {
        var out = "GRANT \(m.role) TO \(m.member)"
        if let inherit = m.inherit, let set = m.set {
            out += " WITH ADMIN \(m.admin ? "TRUE" : "FALSE"), INHERIT \(inherit ? "TRUE" : "FALSE"), SET \(set ? "TRUE" : "FALSE")"
        } else if m.admin {
            out += " WITH ADMIN OPTION"
        }
        if let grantor = m.grantor { out += " GRANTED BY \(grantor)" }
        return out + ";\n"
    }

    /// Memberships ordered so that a grant by a role comes after the grant that gave it ADMIN on that role
    /// (PostgreSQL 16+ requires it); grants whose grantor never gets ADMIN stay, last, in their order.
    static func orderedMemberships(_ all: [Membership]) -> [Membership] {
        var pending = all
        var done: [Membership] = []
        var admins = Set<[String]>()
        while !pending.isEmpty {
            let ready = pending.indices.filter { i in
                guard let grantor = pending[i].grantor else { return true }
                return admins.contains([pending[i].role, grantor])
            }
            guard !ready.isEmpty else { break }
            for i in ready {
                done.append(pending[i])
                if pending[i].admin { admins.insert([pending[i].role, pending[i].member]) }
            }
            for i in ready.reversed() { pending.remove(at: i) }
        }
        return done + pending
    }

    /// The settings whose values are lists of quoted items (GUC_LIST_QUOTE), as pg_dumpall's `variable_is_guc_list_quote`.
    static let listQuoteSettings: Set<String> = [
        "local_preload_libraries", "search_path", "session_preload_libraries", "shared_preload_libraries",
        "temp_tablespaces", "unix_socket_directories",
    ]

    /// `SET name TO value` for one `name=value` entry of `setconfig`, as pg_dumpall's `makeAlterConfigCommand`.
    static func setClause(_ entry: String) -> String {
        guard let eq = entry.firstIndex(of: "=") else { return "SET \(settingName(entry)) TO DEFAULT" }
        let name = String(entry[..<eq])
        let value = String(entry[entry.index(after: eq)...])
        if listQuoteSettings.contains(name.lowercased()) {
            let items = splitGUCList(value)
            // An empty list is written as '' (what SET name TO '' stores).
            let text = items.isEmpty ? "''" : items.map(SQLText.literal).joined(separator: ", ")
            return "SET \(settingName(name)) TO \(text)"
        }
        return "SET \(settingName(name)) TO \(SQLText.literal(value))"
    }

    /// A setting name: plain when it is lowercase letters, digits, `_` and `.` (custom `app.x` settings), else quoted.
    static func settingName(_ name: String) -> String {
        let plain = !name.isEmpty && name.unicodeScalars.allSatisfy { s in
            ("a"..."z").contains(s) || ("0"..."9").contains(s) || s == "_" || s == "."
        }
        return plain ? name : "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Splits a stored list value (`a, "B c"`) into its items, double quotes removed, as libpq's `SplitGUCList`.
    static func splitGUCList(_ value: String) -> [String] {
        if value.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
        var items: [String] = []
        var current = ""
        var inQuotes = false
        var quoted = false
        var chars = Array(value)[...]
        while let c = chars.popFirst() {
            if inQuotes {
                if c != "\"" { current.append(c) } else if chars.first == "\"" { current.append("\""); chars.removeFirst() } else { inQuotes = false }
            } else if c == "\"" {
                inQuotes = true
                quoted = true
            } else if c == "," {
                items.append(quoted ? current : current.trimmingCharacters(in: .whitespaces))
                current = ""
                quoted = false
            } else if !(c.isWhitespace && (current.isEmpty || quoted)) {
                current.append(c)
            }
        }
        items.append(quoted ? current : current.trimmingCharacters(in: .whitespaces))
        return items
    }

    /// One database as the catalog describes it; names quoted except `name`.
    struct Database: Equatable {
        var name: String
        var qname: String
        var owner: String
        var encoding: String
        var collate: String
        var ctype: String
        /// "c" (libc), "i" (ICU), "b" (builtin); nil before PostgreSQL 15.
        var localeProvider: String?
        var locale: String?
        var icuRules: String?
        var tablespace: String?
        var connectionLimit = -1
        var allowConnections = true
        var isTemplate = false
        var settings: [String] = []
        /// `ALTER ROLE … IN DATABASE` settings: (quoted role, `name=value`).
        var roleSettings: [(String, String)] = []
        var aclChanges: String?
        var comment: String?

        static func == (a: Database, b: Database) -> Bool { a.name == b.name }
    }

    /// The databases pg_dumpall assumes exist on every server: their properties are altered, never created.
    static let preexisting: Set<String> = ["template1", "postgres"]

    /// `CREATE DATABASE` with what cannot change later (template0, encoding, locale, tablespace), as pg_dump writes it.
    static func createDatabase(_ db: Database) -> String {
        var out = "CREATE DATABASE \(db.qname) WITH TEMPLATE = template0 ENCODING = \(SQLText.literal(db.encoding))"
        switch db.localeProvider {
        case "i": out += " LOCALE_PROVIDER = icu"
        case "b": out += " LOCALE_PROVIDER = builtin"
        case "c": out += " LOCALE_PROVIDER = libc"
        default: break
        }
        if db.collate == db.ctype {
            out += " LOCALE = \(SQLText.literal(db.collate))"
        } else {
            out += " LC_COLLATE = \(SQLText.literal(db.collate)) LC_CTYPE = \(SQLText.literal(db.ctype))"
        }
        if let locale = db.locale, db.localeProvider == "i" { out += " ICU_LOCALE = \(SQLText.literal(locale))" }
        if let locale = db.locale, db.localeProvider == "b" { out += " BUILTIN_LOCALE = \(SQLText.literal(locale))" }
        if let rules = db.icuRules, db.localeProvider == "i" { out += " ICU_RULES = \(SQLText.literal(rules))" }
        if let tablespace = db.tablespace { out += " TABLESPACE = \(tablespace)" }
        return out + ";\n"
    }

    /// A database's section: its marker, `CREATE DATABASE` unless it is one every server has, then its properties.
    static func databaseSection(_ db: Database, options: GlobalsOptions) -> String {
        let existing = preexisting.contains(db.name)
        var out = "\n\(GlobalsMarkers.prefix)database \(GlobalsMarkers.encode(db.name)) \(existing ? "alter" : "create")\n"
        if !existing { out += createDatabase(db) }
        if !options.noOwner { out += GlobalsMarkers.owner + "ALTER DATABASE \(db.qname) OWNER TO \(db.owner);\n" }
        if db.connectionLimit != -1 { out += "ALTER DATABASE \(db.qname) CONNECTION LIMIT = \(db.connectionLimit);\n" }
        if !db.allowConnections { out += "ALTER DATABASE \(db.qname) ALLOW_CONNECTIONS = false;\n" }
        if db.isTemplate { out += "ALTER DATABASE \(db.qname) IS_TEMPLATE = true;\n" }
        for setting in db.settings { out += "ALTER DATABASE \(db.qname) \(setClause(setting));\n" }
        for (role, setting) in db.roleSettings { out += "ALTER ROLE \(role) IN DATABASE \(db.qname) \(setClause(setting));\n" }
        if !options.noPrivileges, let acl = db.aclChanges { out += GlobalsMarkers.tagged(privileges: acl) }
        if let comment = db.comment { out += "COMMENT ON DATABASE \(db.qname) IS \(SQLText.literal(comment));\n" }
        return out
    }

    /// One tablespace; names quoted except `name`.
    struct Tablespace: Equatable {
        var name: String
        var qname: String
        var owner: String
        var location: String
        var options: [String?] = []
        var aclChanges: String?
        var comment: String?
    }

    /// A tablespace's section: its marker, `CREATE TABLESPACE`, then options, ACL and comment.
    static func tablespaceSection(_ ts: Tablespace, options: GlobalsOptions) -> String {
        var out = "\n\(GlobalsMarkers.prefix)tablespace \(GlobalsMarkers.encode(ts.name))\n"
        out += "CREATE TABLESPACE \(ts.qname) LOCATION \(SQLText.literal(ts.location));\n"
        if !options.noOwner { out += GlobalsMarkers.owner + "ALTER TABLESPACE \(ts.qname) OWNER TO \(ts.owner);\n" }
        let settings = SQLText.reloptions(ts.options)
        if !settings.isEmpty { out += "ALTER TABLESPACE \(ts.qname) SET (\(settings));\n" }
        if !options.noPrivileges, let acl = ts.aclChanges { out += GlobalsMarkers.tagged(privileges: acl) }
        if let comment = ts.comment { out += "COMMENT ON TABLESPACE \(ts.qname) IS \(SQLText.literal(comment));\n" }
        return out
    }

    /// A POSIX regular expression matching what a psql-style name pattern matches: unquoted letters folded to
    /// lower case, `*` any text, `?` any character, double quotes for literal text (`""` a quote), the whole name;
    /// nil for a dot outside quotes, which pg_dumpall refuses as a qualified name.
    static func patternRegex(_ pattern: String) -> String? {
        var out = "^("
        var inQuotes = false
        var chars = Array(pattern)[...]
        while let c = chars.popFirst() {
            if c == "\"" {
                if inQuotes && chars.first == "\"" { out += "\""; chars.removeFirst() } else { inQuotes.toggle() }
            } else if !inQuotes && c == "*" {
                out += ".*"
            } else if !inQuotes && c == "?" {
                out += "."
            } else if !inQuotes && c == "." {
                return nil
            } else {
                let ch = inQuotes ? String(c) : c.lowercased()
                out += "\\^$.|?*+()[]{}".contains(c) ? "\\" + ch : ch
            }
        }
        return out + ")$"
    }
}
