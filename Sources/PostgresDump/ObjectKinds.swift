import LibPQ

/// A pre-data object: its key in the dependency map, its sort key, and the SQL that creates it.
struct PreItem {
    var key: String
    var sortKey: SortKey
    var sql: String
    var extraDeps: [String] = []
    /// For a base type: its shell, which the I/O functions depend on instead of the type (BaseTypes).
    var shellRedirect: ShellRedirect?

    /// The shell (its key) a base type's I/O functions (their keys) are created on.
    struct ShellRedirect {
        var shell: String
        var functions: Set<String>
    }
}

extension PreItem {
    /// A schema-qualified object of a catalog row with `oid`, `schema` and `name` columns, keyed `key:oid`, sorted
    /// among the kinds of priority 5 by schema, name and then `order`.
    static func schemaObject(_ row: Row, key: String, order: String, sql: String) throws -> PreItem {
        PreItem(key: "\(key):\(try row.oid("oid"))",
                sortKey: SortKey(priority: 5, schema: try row.string("schema"), name: try row.string("name"), tiebreak: order),
                sql: sql + "\n")
    }
}

/// What one object kind's reader adds to the script.
struct KindItems {
    /// Objects created before the data, ordered with every other pre-data object by their dependencies.
    var pre: [PreItem] = []
    /// Post-data statements (after the indexes, triggers and policies of the tables).
    var post: [(SortKey, String)] = []
    /// GRANT/REVOKE statements, written with the other privileges.
    var privileges: [(SortKey, String)] = []
    /// Statements written after the privileges (event triggers: they would fire on the restore's own DDL).
    var afterPrivileges: [(SortKey, String)] = []
}

/// What every object kind's reader needs: the connection, the server version and the dump's options.
struct ReadContext {
    let connection: Connection
    let serverVersion: Int
    let includeOwners: Bool
    /// The relations the dump writes, as an `oid[]` literal (for kinds that refer to tables).
    let relationArray: String

    /// `statement` and its blank lines, or nothing when owners are left out.
    func owner(_ statement: String) -> String { includeOwners ? statement + "\n\n" : "" }

    /// `COMMENT ON target IS 'text';`, or nothing when there is no comment.
    func comment(_ target: String, _ text: String?) -> String {
        guard let text else { return "" }
        return "COMMENT ON \(target) IS \(SQLText.literal(text));\n\n"
    }

    /// The privileges entry for an object whose non-default grants are `statements` (nil: none).
    func privileges(_ key: SortKey, name: String, schema: String?, owner: String?, statements: String?) -> [(SortKey, String)] {
        guard let statements else { return [] }
        return [(key, SQLText.header(name: name, type: "ACL", schema: schema, owner: owner) + statements + "\n\n\n")]
    }
}

/// The object kinds read by their own files (one reader per kind), beside the ones `Catalog.read` reads itself.
enum ObjectKinds {
    /// Every reader, in no particular order (the dependency sort and the sort keys order their output).
    static let readers: [@Sendable (ReadContext) throws -> KindItems] = [
        Collations.read,
        TextSearch.read,
        Operators.read,
        CastsAndConversions.read,
        ForeignData.read,
        Languages.read,
        Publications.read,
        Subscriptions.read,
        EventTriggers.read,
        InitialPrivileges.read,
    ]

    /// `classid, objid, key` rows mapping the catalog rows of these kinds to their dependency keys.
    static let dependencyKeys: [String] = [
        Collations.dependencyKeys,
        TextSearch.dependencyKeys,
        Operators.dependencyKeys,
        CastsAndConversions.dependencyKeys,
        ForeignData.dependencyKeys,
        Languages.dependencyKeys,
    ]

    /// Runs every reader and gathers what they add.
    static func readAll(_ context: ReadContext) throws -> KindItems {
        var all = KindItems()
        for reader in readers {
            let items = try reader(context)
            all.pre += items.pre
            all.post += items.post
            all.privileges += items.privileges
            all.afterPrivileges += items.afterPrivileges
        }
        return all
    }
}
