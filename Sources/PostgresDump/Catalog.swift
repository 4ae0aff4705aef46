import Foundation
import LibPQ

/// A table whose rows go into a COPY block.
struct DataTable {
    var schema: String
    var name: String
    var qname: String
    var owner: String
    /// Quoted column names, without generated and dropped columns.
    var columns: [String]
    /// The rows to write, as a `WHERE …` clause (an extension's configuration table), or nil for every row.
    var condition: String? = nil
    /// Whether the rows are read from this table alone, not its inheritance children (an extension's configuration
    /// table, as pg_dump reads it).
    var onlyThisTable = false

    /// The COPY … TO STDOUT that reads the rows to write.
    var copyOut: String {
        guard onlyThisTable || condition != nil else { return "COPY \(qname) \(copyColumns) TO STDOUT" }
        let select = columns.isEmpty ? "" : columns.joined(separator: ", ")
        return "COPY (SELECT \(select) FROM ONLY \(qname)\(condition.map { " " + $0 } ?? "")) TO STDOUT"
    }
}

/// A sequence whose position is restored with `setval`.
struct SequenceState {
    var schema: String
    var name: String
    var qname: String
    var owner: String
}

/// The sort key that makes the order deterministic among objects that are free to go in any order.
struct SortKey: Comparable {
    var priority: Int
    var schema: String
    var name: String
    var tiebreak: String

    static func < (a: SortKey, b: SortKey) -> Bool {
        (a.priority, a.schema, a.name, a.tiebreak) < (b.priority, b.schema, b.name, b.tiebreak)
    }
}

/// Everything the script needs, read from the catalog and rendered to SQL text in output order.
struct Catalog {
    var preData: [String] = []
    var dataTables: [DataTable] = []
    var sequences: [SequenceState] = []
    var postData: [String] = []
    var privileges: [String] = []
    var refreshes: [String] = []
    /// Statements after the privileges (event triggers).
    var afterPrivileges: [String] = []
    /// Objects of kinds the dump does not recreate (only when the caller allowed skipping them).
    var skipped: [String] = []

    /// Reads every object kind in turn (CatalogReader), orders the pre-data objects by their dependencies and the
    /// post-data ones by kind, and renders the script's parts.
    static func read(_ c: Connection, relationOids: [UInt32], sequenceOids: [UInt32], options: DumpOptions) throws -> Catalog {
        var reader = CatalogReader(c: c, options: options, relationOids: relationOids, sequenceOids: sequenceOids)
        try reader.auditCoverage()
        try reader.readSchemas()
        try reader.readAccessMethodsAndExtensions()
        try reader.readTypes()
        try reader.readFunctions()
        try reader.readSequences()
        try reader.readColumnsAndConstraints()
        try reader.readRelations()
        try reader.readExtensionConfigTables()
        // The kinds read in their own files (ObjectKinds).
        let kinds = try ObjectKinds.readAll(ReadContext(connection: c, serverVersion: reader.serverVersion,
                                                               includeOwners: options.includeOwners, relationArray: reader.relArray))
        reader.pre += kinds.pre
        reader.privileges += kinds.privileges
        var catalog = reader.catalog
        catalog.afterPrivileges = kinds.afterPrivileges.sorted { $0.0 < $1.0 }.map(\.1)
        catalog.dataTables.sort { ($0.schema, $0.name) < ($1.schema, $1.name) }
        catalog.sequences.sort { ($0.schema, $0.name) < ($1.schema, $1.name) }

        // Dependency order for pre-data.
        let (ordered, postponed) = try orderPreData(c, reader.pre)
        catalog.preData = ordered.map(\.sql)
        // Materialized views are refreshed in dependency order too (one may read another).
        let position = Dictionary(uniqueKeysWithValues: (ordered + postponed).enumerated().map { ($1.key, $0) })
        catalog.refreshes = reader.refreshes.sorted { position[$0.0, default: 0] < position[$1.0, default: 0] }.map(\.1)

        let sortedPost = (try reader.postDataItems() + kinds.post).sorted { $0.0 < $1.0 }
        // Objects that need a key constraint follow the key constraints (priority 1), before the indexes,
        // triggers and rules that may be built on them.
        let keysEnd = sortedPost.firstIndex { $0.0.priority > 1 } ?? sortedPost.count
        catalog.postData = sortedPost[..<keysEnd].map(\.1) + postponed.map(\.sql) + sortedPost[keysEnd...].map(\.1)
        try reader.readDefaultPrivileges()
        catalog.privileges = reader.privileges.sorted { $0.0 < $1.0 }.map(\.1)
        return catalog
    }

    /// One column of a CREATE TABLE: type, collation, default or generation expression, NOT NULL, identity; for a
    /// typed table (`typed`), the column without its type and collation, or nil when it adds nothing to the type's; for a
    /// partition created alone and then attached (`attachedPartition`), with its inherited NOT NULL too.
    static func columnDefinition(_ col: Row, tableOid: UInt32, identity: [String: String],
                                 notNulls: NotNullConstraints, typed: Bool = false, attachedPartition: Bool = false) throws -> String? {
        let name = try col.string("qname")
        var def = typed ? name : "\(name) \(try col.string("type"))\(try col.string("collate"))"
        if let expr = try col.optionalString("defexpr") {
            switch try col.string("attgenerated") {
            case "s": def += " GENERATED ALWAYS AS (\(expr)) STORED"
            // PostgreSQL 18's virtual generated columns; VIRTUAL is the default, and pg_dump leaves it out.
            case "v": def += " GENERATED ALWAYS AS (\(expr))"
            default: def += " DEFAULT \(expr)"
            }
        }
        if notNulls.isCatalogued {
            let attnum = try col.int("attnum")
            def += attachedPartition ? notNulls.attachedPartitionClause(table: tableOid, attnum: attnum)
                                     : notNulls.columnClause(table: tableOid, attnum: attnum)
        } else if try col.bool("attnotnull") {
            def += " NOT NULL"
        }
        let identityKind = try col.string("attidentity")
        // A partition attached later takes its parent's identity (PostgreSQL 17+), and ATTACH refuses one that has its own.
        if !identityKind.isEmpty && !attachedPartition {
            let options = identity["\(tableOid):\(try col.string("attnum"))"] ?? ""
            def += " GENERATED \(identityKind == "a" ? "ALWAYS" : "BY DEFAULT") AS IDENTITY"
            if !options.isEmpty { def += " (\n        \(options.replacingOccurrences(of: "\n", with: "\n        "))\n    )" }
        }
        return typed && def == name ? nil : def
    }

    /// Orders pre-data items so each follows what it depends on (pg_depend), ties broken by name; the
    /// second list holds the items that wait for a key constraint (`PostponedObjects`), in order too.
    private static func orderPreData(_ c: Connection, _ items: [PreItem]) throws -> ([PreItem], [PreItem]) {
        var index: [String: Int] = [:]
        for (i, item) in items.enumerated() { index[item.key] = i }
        var owners: [String: String] = [:]
        for row in try c.execute(CatalogQueries.objectOwners(serverVersion: c.serverVersionNumber)).rows {
            owners["\(try row.string("classid")):\(try row.string("objid"))"] = try row.string("key")
        }
        for row in try c.execute(CatalogQueries.extensionMembers).rows {
            owners["\(try row.string("classid")):\(try row.string("objid"))"] = "ext:\(try row.string("extension"))"
        }
        let keys = [PostponedObjects.keyConstraintOwners, AccessMethods.owners] + ObjectKinds.dependencyKeys
        for row in try c.execute(keys.joined(separator: "\nUNION ALL\n")).rows {
            owners["\(try row.string("classid")):\(try row.string("objid"))"] = try row.string("key")
        }
        var needKey = Set<Int>()
        var edges = [[Int]](repeating: [], count: items.count)
        for (i, item) in items.enumerated() {
            edges[i] = item.extraDeps.compactMap { index[$0] }
        }
        // A base type's I/O functions are made on its shell, which breaks their loop with the type (BaseTypes).
        var shells: [String: PreItem.ShellRedirect] = [:]
        for item in items { if let redirect = item.shellRedirect { shells[item.key] = redirect } }
        for row in try c.execute(CatalogQueries.dependencies).rows {
            guard let from = owners["\(try row.string("classid")):\(try row.string("objid"))"],
                  var to = owners["\(try row.string("refclassid")):\(try row.string("refobjid"))"],
                  from != to, let fromIndex = index[from] else { continue }
            if let shell = shells[to], shell.functions.contains(from) { to = shell.shell }
            guard let toIndex = index[to] else {
                if PostponedObjects.isKeyConstraint(to) { needKey.insert(fromIndex) }
                continue
            }
            // A sequence's auto dependency on the table that owns it is written as a later OWNED BY,
            // because the table's default needs the sequence first.
            if items[fromIndex].sortKey.priority == 6, to.hasPrefix("rel:") { continue }
            edges[fromIndex].append(toIndex)
        }
        let order = DependencyOrder.sort(keys: items.map(\.sortKey), edges: edges)
        // Views (9), materialized views (10), functions (4) and aggregates (5) may move; what holds data may not.
        let postponed = PostponedObjects.closure(needKey: needKey, edges: edges) { [4, 5, 9, 10].contains(items[$0].sortKey.priority) }
        return (order.filter { !postponed.contains($0) }.map { items[$0] }, order.filter(postponed.contains).map { items[$0] })
    }
}

/// Quotes an identifier the way PostgreSQL's quote_ident does for names that need it (always quoting is safe).
func pgQuoteIdent(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
