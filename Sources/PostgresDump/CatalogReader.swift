import LibPQ

/// Reads the catalog one object kind at a time (issue #19: one function per kind), gathering pre-data items,
/// privileges and what the later kinds need (columns, constraints, relations) for `Catalog.read` to order.
struct CatalogReader {
    /// A relation the dump writes, as the post-data statements name it.
    struct Rel { var schema, name, qname, owner, relkind: String }

    let c: Connection
    let options: DumpOptions
    let includeOwners: Bool
    let serverVersion: Int
    /// The dumped relations and sequences as `oid[]` literals.
    let relArray: String
    let seqArray: String
    var catalog = Catalog()
    var pre: [PreItem] = []
    var privileges: [(SortKey, String)] = []
    /// Identity options by "tableoid:attnum", from the identity sequences.
    var identity: [String: String] = [:]
    var columns: [UInt32: [Row]] = [:]
    var notNulls: NotNullConstraints?
    var checks: [UInt32: [Row]] = [:]
    var keyConstraints: [Row] = []
    var foreignKeys: [Row] = []
    var settings = TableSettings()
    var accessMethods: [UInt32: String] = [:]
    /// The tablespace of each dumped relation and index not in the database's default (Tablespaces).
    var tablespaces: [UInt32: String] = [:]
    var rels: [UInt32: Rel] = [:]
    var rlsStatements: [(SortKey, String)] = []
    /// Materialized views to refresh: (dependency key, statement).
    var refreshes: [(String, String)] = []

    init(c: Connection, options: DumpOptions, relationOids: [UInt32], sequenceOids: [UInt32]) {
        self.c = c
        self.options = options
        includeOwners = options.includeOwners
        serverVersion = c.serverVersionNumber
        relArray = "{" + relationOids.map(String.init).joined(separator: ",") + "}"
        seqArray = "{" + sequenceOids.map(String.init).joined(separator: ",") + "}"
    }

    func owner(_ statement: String) -> String { includeOwners ? statement + "\n\n" : "" }

    /// The NOT NULL constraints read by `readColumnsAndConstraints`.
    func notNullConstraints() throws -> NotNullConstraints {
        guard let notNulls else {
            throw PostgresError(kind: .usage, message: "internal: NOT NULL constraints read before the columns", context: "reading the catalog")
        }
        return notNulls
    }

    func comment(_ target: String, _ text: String?) -> String {
        guard let text else { return "" }
        return "COMMENT ON \(target) IS \(SQLText.literal(text));\n\n"
    }

    /// Lists objects of kinds the dump cannot recreate, and stops unless the caller accepts their loss.
    mutating func auditCoverage() throws {
        for row in try c.execute(CatalogQueries.unsupportedObjects).rows {
            catalog.skipped.append("\(try row.string("kind")) \(try row.string("name"))")
        }
        if !catalog.skipped.isEmpty && !options.skipUnsupportedObjects {
            throw PostgresError(kind: .usage,
                                message: "the database has \(catalog.skipped.count) object(s) this dump cannot recreate (kind, name):\n"
                                    + catalog.skipped.map { "  \($0)" }.joined(separator: "\n"),
                                hint: "To back up everything else anyway, pass --allow-incomplete (or set allow_incomplete: true on the source "
                                    + "in the config); the manifest and the dump's header then list what is missing.",
                                context: "checking what the dump covers")
        }
    }

    mutating func readSchemas() throws {
        for row in try c.execute(CatalogQueries.schemas).rows {
            let name = try row.string("name"), qname = try row.string("qname"), own = try row.string("owner")
            var sql = SQLText.header(name: name, type: "SCHEMA", schema: nil, owner: own)
            sql += "CREATE SCHEMA \(qname);\n\n"
            sql += owner("ALTER SCHEMA \(qname) OWNER TO \(own);")
            sql += comment("SCHEMA \(qname)", try row.optionalString("comment"))
            pre.append(PreItem(key: "ns:\(try row.oid("oid"))", sortKey: SortKey(priority: 1, schema: "", name: name, tiebreak: ""), sql: sql))
            if let acl = try row.optionalString("acl") {
                privileges.append((SortKey(priority: 1, schema: "", name: name, tiebreak: ""),
                                   SQLText.header(name: "SCHEMA \(name)", type: "ACL", schema: nil, owner: own) + acl + "\n\n\n"))
            }
        }

        let publicSchema = try PublicSchema.read(c, includeOwners: includeOwners)
        let publicKey = SortKey(priority: 1, schema: "", name: "public", tiebreak: "")
        if let sql = publicSchema.preData { pre.append(PreItem(key: "ns:public", sortKey: publicKey, sql: sql + "\n")) }
        if let acl = publicSchema.privileges { privileges.append((publicKey, acl)) }
    }

    mutating func readAccessMethodsAndExtensions() throws {
        for am in try AccessMethods.read(c) {
            pre.append(PreItem(key: am.key, sortKey: SortKey(priority: 2, schema: "", name: am.name, tiebreak: "am"), sql: am.sql,
                               extraDeps: am.handler.map { [$0] } ?? []))
        }

        // Extensions (their member objects are recreated by CREATE EXTENSION, so they are not dumped).
        for row in try c.execute(CatalogQueries.extensions).rows {
            let name = try row.string("name"), qname = try row.string("qname")
            var sql = SQLText.header(name: name, type: "EXTENSION", schema: nil, owner: nil)
            sql += "CREATE EXTENSION IF NOT EXISTS \(qname) WITH SCHEMA \(try row.string("schema"));\n\n"
            sql += comment("EXTENSION \(qname)", try row.optionalString("comment"))
            pre.append(PreItem(key: "ext:\(try row.oid("oid"))", sortKey: SortKey(priority: 2, schema: "", name: name, tiebreak: ""), sql: sql))
        }
    }

    /// Enums, composites, domains, ranges, base types (after their shells) and shell types.
    mutating func readTypes() throws {
        for row in try c.execute(CatalogQueries.types(serverVersion: serverVersion)).rows {
            let schema = try row.string("schema"), name = try row.string("name"), qname = try row.string("qname")
            let own = try row.string("owner"), kind = try row.string("typtype"), body = try row.optionalString("body") ?? ""
            let isDomain = kind == "d"
            var sql = SQLText.header(name: name, type: isDomain ? "DOMAIN" : "TYPE", schema: schema, owner: own)
            switch kind {
            case "e": sql += "CREATE TYPE \(qname) AS ENUM (\n    \(body.replacingOccurrences(of: ", ", with: ",\n    "))\n);\n\n"
            case "c": sql += "CREATE TYPE \(qname) AS (\(body)\n);\n\n"
            case "d": sql += "CREATE DOMAIN \(qname) AS \(body);\n\n"
            case "r": sql += "CREATE TYPE \(qname) AS RANGE (\n    \(body.replacingOccurrences(of: ", ", with: ",\n    "))\n);\n\n"
            case "b": sql += "CREATE TYPE \(qname) (\n    \(body)\n);\n\n"
            default: sql += "CREATE TYPE \(qname);\n\n" // a shell type never filled in
            }
            sql += owner("ALTER \(isDomain ? "DOMAIN" : "TYPE") \(qname) OWNER TO \(own);")
            sql += comment("\(isDomain ? "DOMAIN" : "TYPE") \(qname)", try row.optionalString("comment"))
            if let constraintComments = try row.optionalString("constraint_comments") { sql += constraintComments + "\n\n" }
            if let attributeComments = try row.optionalString("attribute_comments") { sql += attributeComments + "\n\n" }
            let key = SortKey(priority: 3, schema: schema, name: name, tiebreak: "")
            var item = PreItem(key: "type:\(try row.oid("oid"))", sortKey: key, sql: sql)
            if kind == "b" {
                let shell = BaseTypes.shell(oid: try row.oid("oid"), schema: schema, name: name, qname: qname, owner: own,
                                            ioFunctions: try row.optionalString("io_functions") ?? "")
                pre.append(shell.item)
                item.extraDeps.append(shell.item.key)
                item.shellRedirect = shell.redirect
            }
            pre.append(item)
            if let acl = try row.optionalString("acl") {
                privileges.append((key, SQLText.header(name: name, type: "ACL", schema: schema, owner: own) + acl + "\n\n\n"))
            }
        }
    }

    /// Functions, procedures and aggregates.
    mutating func readFunctions() throws {
        for row in try c.execute(CatalogQueries.functions).rows {
            let schema = try row.string("schema"), name = try row.string("name"), signature = try row.string("signature")
            let own = try row.string("owner"), prokind = try row.string("prokind")
            let word = prokind == "p" ? "PROCEDURE" : prokind == "a" ? "AGGREGATE" : "FUNCTION"
            var sql = SQLText.header(name: signature, type: word, schema: schema, owner: own)
            if prokind == "a" {
                // One option a line (Aggregates.body): an initial value may hold ", " too.
                guard let body = try row.optionalString("aggbody") else { continue }
                sql += "CREATE AGGREGATE \(signature) (\n    \(body)\n);\n\n"
            } else {
                var def = try row.string("def")
                while def.last == "\n" || def.last == " " { def.removeLast() }
                sql += def + ";\n\n"
            }
            sql += owner("ALTER \(word) \(signature) OWNER TO \(own);")
            sql += comment("\(word) \(signature)", try row.optionalString("comment"))
            let key = SortKey(priority: prokind == "a" ? 5 : 4, schema: schema, name: name, tiebreak: signature)
            pre.append(PreItem(key: "proc:\(try row.oid("oid"))", sortKey: key, sql: sql))
            if let acl = try row.optionalString("acl") {
                privileges.append((key, SQLText.header(name: signature, type: "ACL", schema: schema, owner: own) + acl + "\n\n\n"))
            }
        }
    }

    /// Sequences: identity sequences are created with their column; the others stand alone.
    mutating func readSequences() throws {
        for row in try c.query(CatalogQueries.sequences, [seqArray]).rows {
            let schema = try row.string("schema"), name = try row.string("name"), qname = try row.string("qname")
            let own = try row.string("owner")
            let options = """
                AS \(try row.string("type"))
                    START WITH \(try row.string("seqstart"))
                    INCREMENT BY \(try row.string("seqincrement"))
                    MINVALUE \(try row.string("seqmin"))
                    MAXVALUE \(try row.string("seqmax"))
                    CACHE \(try row.string("seqcache"))\(try row.bool("seqcycle") ? "\n    CYCLE" : "")
                """
            catalog.sequences.append(SequenceState(schema: schema, name: name, qname: qname, owner: own))
            if let column = try row.optionalString("identity_column"), let table = try row.optionalString("owner_table") {
                // The identity sequence takes the column's type, and naming it again is an error.
                let identityOptions = options.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
                identity["\(table):\(column)"] = "SEQUENCE NAME \(qname)\n" + identityOptions.joined(separator: "\n")
                // Created with its column, but its grants are its own (pg_dump writes them too).
                if let acl = try row.optionalString("acl") {
                    privileges.append((SortKey(priority: 6, schema: schema, name: name, tiebreak: ""),
                                       SQLText.header(name: name, type: "ACL", schema: schema, owner: own) + acl + "\n\n\n"))
                }
                continue
            }
            var sql = SQLText.header(name: name, type: "SEQUENCE", schema: schema, owner: own)
            sql += "CREATE SEQUENCE \(qname)\n    \(options);\n\n"
            sql += owner("ALTER SEQUENCE \(qname) OWNER TO \(own);")
            sql += comment("SEQUENCE \(qname)", try row.optionalString("comment"))
            let oid = try row.oid("oid")
            let key = SortKey(priority: 6, schema: schema, name: name, tiebreak: "")
            pre.append(PreItem(key: "rel:\(oid)", sortKey: key, sql: sql))
            if let ownedBy = try row.optionalString("owned_by"), let table = try row.optionalString("owner_table") {
                let stmt = SQLText.header(name: name, type: "SEQUENCE OWNED BY", schema: schema, owner: own)
                    + "ALTER SEQUENCE \(qname) OWNED BY \(ownedBy);\n\n\n"
                pre.append(PreItem(key: "ownedby:\(oid)", sortKey: SortKey(priority: 8, schema: schema, name: name, tiebreak: ""),
                                   sql: stmt, extraDeps: ["rel:\(oid)", "rel:\(table)"]))
            }
            if let acl = try row.optionalString("acl") {
                privileges.append((key, SQLText.header(name: name, type: "ACL", schema: schema, owner: own) + acl + "\n\n\n"))
            }
        }
    }

    /// Columns and constraints of every relation, grouped by relation, and their settings.
    mutating func readColumnsAndConstraints() throws {
        for row in try c.query(CatalogQueries.columns, [relArray]).rows {
            columns[try row.oid("attrelid"), default: []].append(row)
        }
        notNulls = try NotNullConstraints(c, relationArray: relArray)
        for row in try c.query(CatalogQueries.constraints, [relArray]).rows {
            switch try row.string("contype") {
            case "c": checks[try row.oid("conrelid"), default: []].append(row)
            case "f": foreignKeys.append(row)
            default: keyConstraints.append(row)
            }
        }

        settings = try TableSettings.read(c, relArray: relArray)
        accessMethods = try AccessMethods.ofRelations(c, relArray: relArray)
        tablespaces = try Tablespaces.ofRelations(c, relArray: relArray)
    }
}
