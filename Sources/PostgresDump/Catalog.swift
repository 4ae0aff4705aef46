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

    // swiftlint:disable:next function_body_length
    static func read(_ c: Connection, relationOids: [UInt32], sequenceOids: [UInt32], options: DumpOptions) throws -> Catalog {
        var catalog = Catalog()
        let includeOwners = options.includeOwners
        let serverVersion = c.serverVersionNumber
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
        var pre: [PreItem] = []
        var privileges: [(SortKey, String)] = []
        func owner(_ statement: String) -> String { includeOwners ? statement + "\n\n" : "" }
        func comment(_ target: String, _ text: String?) -> String {
            guard let text else { return "" }
            return "COMMENT ON \(target) IS \(SQLText.literal(text));\n\n"
        }
        let relArray = "{" + relationOids.map(String.init).joined(separator: ",") + "}"
        let seqArray = "{" + sequenceOids.map(String.init).joined(separator: ",") + "}"

        // Schemas.
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

        // Types: enums, composites, domains, ranges.
        for row in try c.execute(CatalogQueries.types(serverVersion: serverVersion)).rows {
            let schema = try row.string("schema"), name = try row.string("name"), qname = try row.string("qname")
            let own = try row.string("owner"), kind = try row.string("typtype"), body = try row.optionalString("body") ?? ""
            let isDomain = kind == "d"
            var sql = SQLText.header(name: name, type: isDomain ? "DOMAIN" : "TYPE", schema: schema, owner: own)
            switch kind {
            case "e": sql += "CREATE TYPE \(qname) AS ENUM (\n    \(body.replacingOccurrences(of: ", ", with: ",\n    "))\n);\n\n"
            case "c": sql += "CREATE TYPE \(qname) AS (\(body)\n);\n\n"
            case "d": sql += "CREATE DOMAIN \(qname) AS \(body);\n\n"
            default: sql += "CREATE TYPE \(qname) AS RANGE (\n    \(body.replacingOccurrences(of: ", ", with: ",\n    "))\n);\n\n"
            }
            sql += owner("ALTER \(isDomain ? "DOMAIN" : "TYPE") \(qname) OWNER TO \(own);")
            sql += comment("\(isDomain ? "DOMAIN" : "TYPE") \(qname)", try row.optionalString("comment"))
            if let constraintComments = try row.optionalString("constraint_comments") { sql += constraintComments + "\n\n" }
            if let attributeComments = try row.optionalString("attribute_comments") { sql += attributeComments + "\n\n" }
            let key = SortKey(priority: 3, schema: schema, name: name, tiebreak: "")
            pre.append(PreItem(key: "type:\(try row.oid("oid"))", sortKey: key, sql: sql))
            if let acl = try row.optionalString("acl") {
                privileges.append((key, SQLText.header(name: name, type: "ACL", schema: schema, owner: own) + acl + "\n\n\n"))
            }
        }

        // Functions, procedures and aggregates.
        for row in try c.execute(CatalogQueries.functions).rows {
            let schema = try row.string("schema"), name = try row.string("name"), signature = try row.string("signature")
            let own = try row.string("owner"), prokind = try row.string("prokind")
            let word = prokind == "p" ? "PROCEDURE" : prokind == "a" ? "AGGREGATE" : "FUNCTION"
            var sql = SQLText.header(name: signature, type: word, schema: schema, owner: own)
            if prokind == "a" {
                // Special aggregate kinds were refused (or accepted as skipped) by the unsupported-object check.
                guard let body = try row.optionalString("aggbody") else { continue }
                sql += "CREATE AGGREGATE \(signature) (\n    \(body.replacingOccurrences(of: ", ", with: ",\n    "))\n);\n\n"
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

        // Sequences: identity sequences are created with their column; the others stand alone.
        var identity: [String: String] = [:] // "tableoid:attnum" -> identity options
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

        // Columns and constraints of every relation, grouped by relation.
        var columns: [UInt32: [Row]] = [:]
        for row in try c.query(CatalogQueries.columns, [relArray]).rows {
            columns[try row.oid("attrelid"), default: []].append(row)
        }
        let notNulls = try NotNullConstraints(c, relationArray: relArray)
        var checks: [UInt32: [Row]] = [:]
        var keyConstraints: [Row] = []
        var foreignKeys: [Row] = []
        for row in try c.query(CatalogQueries.constraints, [relArray]).rows {
            switch try row.string("contype") {
            case "c": checks[try row.oid("conrelid"), default: []].append(row)
            case "f": foreignKeys.append(row)
            default: keyConstraints.append(row)
            }
        }

        let settings = try TableSettings.read(c, relArray: relArray)
        let accessMethods = try AccessMethods.ofRelations(c, relArray: relArray)

        // Tables, views and materialized views.
        struct Rel { var schema, name, qname, owner, relkind: String }
        var rels: [UInt32: Rel] = [:]
        var rlsStatements: [(SortKey, String)] = []
        var refreshes: [(String, String)] = []
        for row in try c.query(CatalogQueries.relations, [relArray]).rows {
            let oid = try row.oid("oid")
            let schema = try row.string("schema"), name = try row.string("name"), qname = try row.string("qname")
            let own = try row.string("owner"), relkind = try row.string("relkind")
            let tableWord = relkind == "f" ? "FOREIGN TABLE" : "TABLE"
            rels[oid] = Rel(schema: schema, name: name, qname: qname, owner: own, relkind: relkind)
            let reloptions = SQLText.reloptions(try row.stringArray("reloptions"))
            let cols = columns[oid] ?? []
            var sql: String
            let key = SortKey(priority: relkind == "v" ? 9 : relkind == "m" ? 10 : 7, schema: schema, name: name, tiebreak: "")
            switch relkind {
            case "v", "m":
                var def = try row.string("viewdef")
                while def.last == ";" || def.last == "\n" || def.last == " " { def.removeLast() }
                let isMat = relkind == "m"
                sql = SQLText.header(name: name, type: isMat ? "MATERIALIZED VIEW" : "VIEW", schema: schema, owner: own)
                sql += "CREATE \(isMat ? "MATERIALIZED " : "")VIEW \(qname)\(reloptions.isEmpty ? "" : " WITH (\(reloptions))") AS\n\(def)"
                sql += isMat ? "\n  WITH NO DATA;\n\n" : ";\n\n"
                for col in cols {
                    if let def = try col.optionalString("defexpr") {
                        sql += "ALTER VIEW \(qname) ALTER COLUMN \(try col.string("qname")) SET DEFAULT \(def);\n\n"
                    }
                }
                sql += owner("ALTER \(isMat ? "MATERIALIZED VIEW" : "VIEW") \(qname) OWNER TO \(own);")
                sql += comment("\(isMat ? "MATERIALIZED VIEW" : "VIEW") \(qname)", try row.optionalString("comment"))
                if isMat, try row.bool("relispopulated") {
                    refreshes.append(("rel:\(oid)", SQLText.header(name: name, type: "MATERIALIZED VIEW DATA", schema: schema, owner: own)
                                             + "REFRESH MATERIALIZED VIEW \(qname);\n\n\n"))
                }
            default:
                let isPartition = try row.bool("relispartition")
                sql = SQLText.header(name: name, type: tableWord, schema: schema, owner: own)
                let unlogged = try row.string("relpersistence") == "u" ? "UNLOGGED " : ""
                var elements: [String] = []
                let ofType = try row.optionalString("oftype")
                if !isPartition {
                    for col in cols where try col.bool("attislocal") {
                        // A typed table's columns come from its type: only what they add is written.
                        let def = try columnDefinition(col, tableOid: oid, identity: identity, notNulls: notNulls, typed: ofType != nil)
                        if let def { elements.append(def) }
                    }
                }
                for check in checks[oid] ?? [] where try check.bool("conislocal") {
                    let def = "CONSTRAINT \(try check.string("qname")) \(try check.string("def"))"
                    // A NOT VALID one is added after the data (NotValidChecks), or the old rows would not load.
                    if try check.bool("convalidated") { elements.append(def) }
                }
                elements += notNulls.inheritedElements(table: oid, attnums: try cols.filter { try isPartition || !$0.bool("attislocal") }
                                                                                 .map { try $0.int("attnum") })
                if isPartition {
                    let parent = try row.string("parents")
                    sql += "CREATE \(unlogged)\(tableWord) \(qname) PARTITION OF \(parent)"
                    if !elements.isEmpty { sql += " (\n    " + elements.joined(separator: ",\n    ") + "\n)" }
                    sql += "\n\(try row.string("partbound"))"
                } else if let ofType {
                    sql += "CREATE \(unlogged)TABLE \(qname) OF \(ofType)"
                    if !elements.isEmpty { sql += " (\n    " + elements.joined(separator: ",\n    ") + "\n)" }
                } else {
                    sql += "CREATE \(unlogged)\(tableWord) \(qname) (\n    " + elements.joined(separator: ",\n    ") + "\n)"
                    if let parents = try row.optionalString("parents") { sql += "\nINHERITS (\(parents))" }
                }
                if let partkey = try row.optionalString("partkey") { sql += "\nPARTITION BY \(partkey)" }
                if let server = try row.optionalString("server") { sql += "\nSERVER \(server)" }
                if !reloptions.isEmpty { sql += "\nWITH (\(reloptions))" }
                sql += ForeignData.clause(try row.optionalString("ftoptions"), separator: "\n") + ";\n\n"
                // A foreign table's is always NOTHING, and cannot be set.
                switch relkind == "f" ? "d" : try row.string("relreplident") {
                case "f": sql += "ALTER TABLE ONLY \(qname) REPLICA IDENTITY FULL;\n\n"
                case "n": sql += "ALTER TABLE ONLY \(qname) REPLICA IDENTITY NOTHING;\n\n"
                default: break // "d" is the default; "i" is set with its index in post-data
                }
                // Inherited columns (partitions, INHERITS children) are not written above; a default or
                // NOT NULL they carry of their own is set afterwards (a no-op when it matches the parent's).
                for col in cols where try isPartition || !col.bool("attislocal") {
                    let column = try col.string("qname")
                    if let def = try col.optionalString("defexpr"), try col.string("attgenerated").isEmpty {
                        sql += "ALTER \(tableWord) ONLY \(qname) ALTER COLUMN \(column) SET DEFAULT \(def);\n\n"
                    }
                    if try notNulls.setsInheritedNotNull(table: oid, attnum: col.int("attnum"), attnotnull: col.bool("attnotnull")) {
                        sql += "ALTER \(tableWord) ONLY \(qname) ALTER COLUMN \(column) SET NOT NULL;\n\n"
                    }
                }
                sql += owner("ALTER \(tableWord) \(qname) OWNER TO \(own);")
                sql += comment("\(tableWord) \(qname)", try row.optionalString("comment"))
                if try row.bool("relrowsecurity") {
                    rlsStatements.append((key, SQLText.header(name: name, type: "ROW SECURITY", schema: schema, owner: own)
                                          + "ALTER TABLE \(qname) ENABLE ROW LEVEL SECURITY;\n\n"
                                          + (try row.bool("relforcerowsecurity") ? "ALTER TABLE \(qname) FORCE ROW LEVEL SECURITY;\n\n" : "") + "\n"))
                }
                if relkind == "r" {
                    let dataColumns = try cols.filter { try $0.string("attgenerated").isEmpty }.map { try $0.string("qname") }
                    catalog.dataTables.append(DataTable(schema: schema, name: name, qname: qname, owner: own, columns: dataColumns))
                }
            }
            for col in cols where relkind != "v" {
                let column = "ALTER \(tableWord) ONLY \(qname) ALTER COLUMN \(try col.string("qname"))"
                if let target = try col.optionalInt("attstattarget"), target >= 0 {
                    sql += "\(column) SET STATISTICS \(target);\n\n"
                }
                switch try col.optionalString("storage") {
                case "p": sql += "\(column) SET STORAGE PLAIN;\n\n"
                case "e": sql += "\(column) SET STORAGE EXTERNAL;\n\n"
                case "m": sql += "\(column) SET STORAGE MAIN;\n\n"
                case "x": sql += "\(column) SET STORAGE EXTENDED;\n\n"
                default: break
                }
                let attoptions = ColumnOptions.dumpable(try col.stringArray("attoptions"))
                if !attoptions.isEmpty { sql += "\(column) SET (\(attoptions));\n\n" }
                let fdwOptions = ForeignData.clause(try col.optionalString("fdwoptions"))
                if !fdwOptions.isEmpty { sql += "\(column)\(fdwOptions);\n\n" }
            }
            sql += settings.compression[oid] ?? ""
            for col in cols {
                if let text = try col.optionalString("comment") {
                    sql += comment("COLUMN \(qname).\(try col.string("qname"))", text)
                }
            }
            sql += notNulls.comments(table: oid, qualifiedTable: qname)
            for check in checks[oid] ?? [] where try check.bool("conislocal") && check.bool("convalidated") {
                if let text = try check.optionalString("comment") {
                    sql += comment("CONSTRAINT \(try check.string("qname")) ON \(qname)", text)
                }
            }
            pre.append(PreItem(key: "rel:\(oid)", sortKey: key, sql: AccessMethods.wrap(sql + "\n", accessMethod: accessMethods[oid])))
            var acl = try row.optionalString("acl") ?? ""
            for col in cols {
                if let columnACL = try col.optionalString("acl") { acl += (acl.isEmpty ? "" : "\n") + columnACL }
            }
            if !acl.isEmpty {
                privileges.append((key, SQLText.header(name: name, type: "ACL", schema: schema, owner: own) + acl + "\n\n\n"))
            }
        }
        // The kinds read in their own files (ObjectKinds).
        let kinds = try ObjectKinds.readAll(ReadContext(connection: c, serverVersion: serverVersion, includeOwners: includeOwners,
                                                               relationArray: relArray))
        pre += kinds.pre
        privileges += kinds.privileges
        catalog.afterPrivileges = kinds.afterPrivileges.sorted { $0.0 < $1.0 }.map(\.1)
        catalog.dataTables.sort { ($0.schema, $0.name) < ($1.schema, $1.name) }
        catalog.sequences.sort { ($0.schema, $0.name) < ($1.schema, $1.name) }

        // Dependency order for pre-data.
        let (ordered, postponed) = try orderPreData(c, pre)
        catalog.preData = ordered.map(\.sql)
        // Materialized views are refreshed in dependency order too (one may read another).
        let position = Dictionary(uniqueKeysWithValues: (ordered + postponed).enumerated().map { ($1.key, $0) })
        catalog.refreshes = refreshes.sorted { position[$0.0, default: 0] < position[$1.0, default: 0] }.map(\.1)

        // Post-data: key constraints, indexes, foreign keys, triggers, rules, row security and policies.
        func relName(_ oid: UInt32) -> Rel? { rels[oid] }
        func only(_ rel: Rel) -> String { rel.relkind == "p" ? "" : "ONLY " }
        var keyItems: [(SortKey, String)] = []
        for row in keyConstraints {
            guard let rel = relName(try row.oid("conrelid")) else { continue }
            let name = try row.string("name"), qname = try row.string("qname")
            var sql = SQLText.header(name: "\(rel.name) \(name)", type: "CONSTRAINT", schema: rel.schema, owner: rel.owner)
            sql += "ALTER TABLE \(only(rel))\(rel.qname)\n    ADD CONSTRAINT \(qname) \(try row.string("def"));\n\n"
            if let index = try row.optionalString("replident_index") {
                sql += "ALTER TABLE ONLY \(rel.qname) REPLICA IDENTITY USING INDEX \(index);\n\n"
            }
            sql += settings.clusteredConstraints[try row.oid("oid")] ?? ""
            sql += comment("CONSTRAINT \(qname) ON \(rel.qname)", try row.optionalString("comment"))
            keyItems.append((SortKey(priority: 1, schema: rel.schema, name: rel.name, tiebreak: name), sql + "\n"))
        }
        for (oid, rel) in rels {
            for (name, sql) in notNulls.notValid(table: oid, qualifiedTable: rel.qname) {
                keyItems.append((SortKey(priority: 1, schema: rel.schema, name: rel.name, tiebreak: name),
                                 SQLText.header(name: "\(rel.name) \(name)", type: "CONSTRAINT", schema: rel.schema, owner: rel.owner) + sql + "\n"))
            }
        }
        keyItems += try NotValidChecks.read(c, relationArray: relArray) { oid in
            rels[oid].map { (schema: $0.schema, name: $0.name, qname: $0.qname, owner: $0.owner) }
        }
        for row in try c.query(CatalogQueries.indexes, [relArray]).rows {
            guard let rel = relName(try row.oid("indrelid")) else { continue }
            let name = try row.string("name")
            var def = try row.string("def")
            if try row.string("relkind") == "I" {
                // A partitioned index created on the parent alone would leave the partitions unindexed;
                // without ONLY it is created on every partition, as it was originally.
                def = def.replacingOccurrences(of: " ON ONLY ", with: " ON ")
            }
            var sql = SQLText.header(name: name, type: "INDEX", schema: rel.schema, owner: rel.owner) + def + ";\n\n"
            if try row.bool("indisclustered") { sql += "ALTER TABLE \(rel.qname) CLUSTER ON \(pgQuoteIdent(name));\n\n" }
            sql += settings.indexStatistics[try row.oid("oid")] ?? ""
            if try row.bool("indisreplident") {
                sql += "ALTER TABLE ONLY \(rel.qname) REPLICA IDENTITY USING INDEX \(pgQuoteIdent(name));\n\n"
            }
            sql += comment("INDEX \(try row.string("qname"))", try row.optionalString("comment"))
            keyItems.append((SortKey(priority: 2, schema: rel.schema, name: name, tiebreak: ""), sql + "\n"))
        }
        for row in foreignKeys {
            guard let rel = relName(try row.oid("conrelid")) else { continue }
            let name = try row.string("name"), qname = try row.string("qname")
            var sql = SQLText.header(name: "\(rel.name) \(name)", type: "FK CONSTRAINT", schema: rel.schema, owner: rel.owner)
            sql += "ALTER TABLE \(only(rel))\(rel.qname)\n    ADD CONSTRAINT \(qname) \(try row.string("def"));\n\n"
            sql += comment("CONSTRAINT \(qname) ON \(rel.qname)", try row.optionalString("comment"))
            keyItems.append((SortKey(priority: 5, schema: rel.schema, name: rel.name, tiebreak: name), sql + "\n"))
        }
        for row in try c.query(CatalogQueries.statistics, [relArray]).rows {
            guard let rel = relName(try row.oid("stxrelid")) else { continue }
            let name = try row.string("name")
            var sql = SQLText.header(name: name, type: "STATISTICS", schema: rel.schema, owner: rel.owner)
            sql += try row.string("def") + ";\n\n"
            sql += settings.statisticsTargets[try row.oid("oid")] ?? ""
            sql += settings.statisticsOwners[try row.oid("oid")].map(owner) ?? ""
            sql += comment("STATISTICS \(try row.string("qname"))", try row.optionalString("comment"))
            keyItems.append((SortKey(priority: 3, schema: rel.schema, name: name, tiebreak: ""), sql + "\n"))
        }
        for row in try c.query(CatalogQueries.triggers, [relArray]).rows {
            guard let rel = relName(try row.oid("tgrelid")) else { continue }
            let name = try row.string("name"), qname = try row.string("qname")
            var sql = SQLText.header(name: "\(rel.name) \(name)", type: "TRIGGER", schema: rel.schema, owner: rel.owner)
            sql += try row.string("def") + ";\n\n"
            switch try row.string("tgenabled") {
            case "D": sql += "ALTER TABLE \(rel.qname) DISABLE TRIGGER \(qname);\n\n"
            case "R": sql += "ALTER TABLE \(rel.qname) ENABLE REPLICA TRIGGER \(qname);\n\n"
            case "A": sql += "ALTER TABLE \(rel.qname) ENABLE ALWAYS TRIGGER \(qname);\n\n"
            default: break
            }
            sql += comment("TRIGGER \(qname) ON \(rel.qname)", try row.optionalString("comment"))
            keyItems.append((SortKey(priority: 6, schema: rel.schema, name: rel.name, tiebreak: name), sql + "\n"))
        }
        for row in try c.query(CatalogQueries.rules, [relArray]).rows {
            guard let rel = relName(try row.oid("ev_class")) else { continue }
            let name = try row.string("name"), qname = try row.string("qname")
            var sql = SQLText.header(name: "\(rel.name) \(name)", type: "RULE", schema: rel.schema, owner: rel.owner)
            sql += try row.string("def") + "\n\n"
            switch try row.string("ev_enabled") {
            case "D": sql += "ALTER TABLE \(rel.qname) DISABLE RULE \(qname);\n\n"
            case "R": sql += "ALTER TABLE \(rel.qname) ENABLE REPLICA RULE \(qname);\n\n"
            case "A": sql += "ALTER TABLE \(rel.qname) ENABLE ALWAYS RULE \(qname);\n\n"
            default: break
            }
            sql += comment("RULE \(qname) ON \(rel.qname)", try row.optionalString("comment"))
            keyItems.append((SortKey(priority: 7, schema: rel.schema, name: rel.name, tiebreak: name), sql + "\n"))
        }
        for (key, sql) in rlsStatements {
            keyItems.append((SortKey(priority: 8, schema: key.schema, name: key.name, tiebreak: ""), sql))
        }
        for row in try c.query(CatalogQueries.policies, [relArray]).rows {
            guard let rel = relName(try row.oid("polrelid")) else { continue }
            let name = try row.string("name"), qname = try row.string("qname")
            let command: String
            switch try row.string("polcmd") {
            case "r": command = "SELECT"
            case "a": command = "INSERT"
            case "w": command = "UPDATE"
            case "d": command = "DELETE"
            default: command = "ALL"
            }
            var sql = SQLText.header(name: "\(rel.name) \(name)", type: "POLICY", schema: rel.schema, owner: rel.owner)
            sql += "CREATE POLICY \(qname) ON \(rel.qname) AS \(try row.bool("polpermissive") ? "PERMISSIVE" : "RESTRICTIVE")"
            sql += " FOR \(command) TO \(try row.string("roles"))"
            if let qual = try row.optionalString("qual") { sql += " USING (\(qual))" }
            if let check = try row.optionalString("withcheck") { sql += " WITH CHECK (\(check))" }
            sql += ";\n\n"
            sql += comment("POLICY \(qname) ON \(rel.qname)", try row.optionalString("comment"))
            keyItems.append((SortKey(priority: 9, schema: rel.schema, name: rel.name, tiebreak: name), sql + "\n"))
        }
        keyItems += try TableSettings.partitionTriggerStates(c, relArray: relArray)
        keyItems += kinds.post
        let sortedPost = keyItems.sorted { $0.0 < $1.0 }
        // Objects that need a key constraint follow the key constraints (priority 1), before the indexes,
        // triggers and rules that may be built on them.
        let keysEnd = sortedPost.firstIndex { $0.0.priority > 1 } ?? sortedPost.count
        catalog.postData = sortedPost[..<keysEnd].map(\.1) + postponed.map(\.sql) + sortedPost[keysEnd...].map(\.1)
        for row in try c.execute(CatalogQueries.defaultPrivileges).rows {
            let prefix = try row.string("prefix"), kind = try row.string("kind"), role = try row.string("role")
            let schema = try row.string("schema")
            var sql = SQLText.header(name: "DEFAULT PRIVILEGES FOR \(kind)", type: "DEFAULT ACL",
                                     schema: schema.isEmpty ? nil : schema, owner: role)
            for grantee in (try row.optionalString("revokes") ?? "").split(separator: "\n") {
                sql += "\(prefix) REVOKE ALL ON \(kind) FROM \(grantee);\n"
            }
            for grant in (try row.optionalString("grants") ?? "").split(separator: "\n") {
                let parts = grant.split(separator: "|", omittingEmptySubsequences: false)
                guard parts.count == 3 else { continue }
                sql += "\(prefix) GRANT \(parts[0]) ON \(kind) TO \(parts[1])\(parts[2] == "grant" ? " WITH GRANT OPTION" : "");\n"
            }
            privileges.append((SortKey(priority: 9, schema: schema, name: role, tiebreak: kind), sql + "\n\n"))
        }
        catalog.privileges = privileges.sorted { $0.0 < $1.0 }.map(\.1)
        return catalog
    }

    /// One column of a CREATE TABLE: type, collation, default or generation expression, NOT NULL, identity; for a
    /// typed table (`typed`), the column without its type and collation, or nil when it adds nothing to the type's.
    private static func columnDefinition(_ col: Row, tableOid: UInt32, identity: [String: String],
                                         notNulls: NotNullConstraints, typed: Bool = false) throws -> String? {
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
            def += notNulls.columnClause(table: tableOid, attnum: try col.int("attnum"))
        } else if try col.bool("attnotnull") {
            def += " NOT NULL"
        }
        let identityKind = try col.string("attidentity")
        if !identityKind.isEmpty {
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
        for row in try c.execute(CatalogQueries.dependencies).rows {
            guard let from = owners["\(try row.string("classid")):\(try row.string("objid"))"],
                  let to = owners["\(try row.string("refclassid")):\(try row.string("refobjid"))"],
                  from != to, let fromIndex = index[from] else { continue }
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
