import LibPQ

/// Tables, foreign tables, views and materialized views, with their columns' settings, comments and privileges.
extension CatalogReader {
    mutating func readRelations() throws {
        let notNulls = try notNullConstraints()
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
                sql = try viewSQL(row, oid: oid, cols: cols, reloptions: reloptions)
            default:
                sql = try tableSQL(row, oid: oid, cols: cols, reloptions: reloptions, key: key)
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
            pre.append(PreItem(key: "rel:\(oid)", sortKey: key, sql: Tablespaces.wrap(AccessMethods.wrap(sql + "\n", accessMethod: accessMethods[oid]),
                                                                             tablespace: tablespaces[oid])))
            var acl = try row.optionalString("acl") ?? ""
            for col in cols {
                if let columnACL = try col.optionalString("acl") { acl += (acl.isEmpty ? "" : "\n") + columnACL }
            }
            if !acl.isEmpty {
                privileges.append((key, SQLText.header(name: name, type: "ACL", schema: schema, owner: own) + acl + "\n\n\n"))
            }
        }
    }

    /// A view's or materialized view's CREATE, column defaults, owner and comment; a populated one's refresh.
    mutating func viewSQL(_ row: Row, oid: UInt32, cols: [Row], reloptions: String) throws -> String {
        let schema = try row.string("schema"), name = try row.string("name"), qname = try row.string("qname")
        let own = try row.string("owner"), relkind = try row.string("relkind")
        var sql: String
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
        return sql
    }

    /// A table's or foreign table's CREATE (typed, partition, inheritance child), replica identity, inherited
    /// columns' defaults and NOT NULL, owner, comment and row security; its rows go into `catalog.dataTables`.
    mutating func tableSQL(_ row: Row, oid: UInt32, cols: [Row], reloptions: String, key: SortKey) throws -> String {
        let schema = try row.string("schema"), name = try row.string("name"), qname = try row.string("qname")
        let own = try row.string("owner"), relkind = try row.string("relkind")
        let tableWord = relkind == "f" ? "FOREIGN TABLE" : "TABLE"
        let notNulls = try notNullConstraints()
        var sql: String
        // A partition outside its parent's tablespace is created alone, with every column and CHECK constraint (ATTACH
        // PARTITION wants the parent's there and marks them inherited), then attached (Tablespaces).
        let attached = try row.bool("relispartition") && row.bool("own_tablespace")
        let isPartition = try row.bool("relispartition") && !attached
        sql = SQLText.header(name: name, type: tableWord, schema: schema, owner: own)
        let unlogged = try row.string("relpersistence") == "u" ? "UNLOGGED " : ""
        var elements: [String] = []
        let ofType = try row.optionalString("oftype")
        if !isPartition {
            for col in cols where try attached || col.bool("attislocal") {
                // A typed table's columns come from its type: only what they add is written.
                let def = try Catalog.columnDefinition(col, tableOid: oid, identity: identity, notNulls: notNulls, typed: ofType != nil,
                                                       attachedPartition: attached)
                if let def { elements.append(def) }
            }
        }
        for check in checks[oid] ?? [] where try attached || check.bool("conislocal") {
            let def = "CONSTRAINT \(try check.string("qname")) \(try check.string("def"))"
            // A NOT VALID one is added after the data (NotValidChecks), or the old rows would not load.
            if try check.bool("convalidated") { elements.append(def) }
        }
        if !attached {
            elements += notNulls.inheritedElements(table: oid, attnums: try cols.filter { try isPartition || !$0.bool("attislocal") }
                                                                             .map { try $0.int("attnum") })
        }
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
            if !attached, let parents = try row.optionalString("parents") { sql += "\nINHERITS (\(parents))" }
        }
        if let partkey = try row.optionalString("partkey") { sql += "\nPARTITION BY \(partkey)" }
        if let server = try row.optionalString("server") { sql += "\nSERVER \(server)" }
        if !reloptions.isEmpty { sql += "\nWITH (\(reloptions))" }
        sql += ForeignData.clause(try row.optionalString("ftoptions"), separator: "\n") + ";\n\n"
        if attached {
            sql += "ALTER TABLE ONLY \(try row.string("parents")) ATTACH PARTITION \(qname) \(try row.string("partbound"));\n\n"
        }
        // A foreign table's is always NOTHING, and cannot be set.
        switch relkind == "f" ? "d" : try row.string("relreplident") {
        case "f": sql += "ALTER TABLE ONLY \(qname) REPLICA IDENTITY FULL;\n\n"
        case "n": sql += "ALTER TABLE ONLY \(qname) REPLICA IDENTITY NOTHING;\n\n"
        default: break // "d" is the default; "i" is set with its index in post-data
        }
        // Inherited columns (partitions, INHERITS children) are not written above; a default or
        // NOT NULL they carry of their own is set afterwards (a no-op when it matches the parent's).
        for col in cols where try !attached && (isPartition || !col.bool("attislocal")) {
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
        return sql
    }
}
