import LibPQ

/// Post-data objects (key constraints, indexes, foreign keys, statistics, triggers, rules, row security, policies)
/// and default privileges.
extension CatalogReader {
    func only(_ rel: Rel) -> String { rel.relkind == "p" ? "" : "ONLY " }

    /// The post-data items of the dumped relations, unsorted.
    func postDataItems() throws -> [(SortKey, String)] {
        try keyItems() + indexItems() + triggerRuleAndPolicyItems() + TableSettings.partitionTriggerStates(c, relArray: relArray)
    }

    /// Key constraints, NOT VALID NOT NULL and CHECK constraints, and foreign keys.
    func keyItems() throws -> [(SortKey, String)] {
        func relName(_ oid: UInt32) -> Rel? { rels[oid] }
        let notNulls = try notNullConstraints()
        var keyItems: [(SortKey, String)] = []
        for row in keyConstraints {
            guard let rel = relName(try row.oid("conrelid")) else { continue }
            let name = try row.string("name"), qname = try row.string("qname")
            var sql = SQLText.header(name: "\(rel.name) \(name)", type: "CONSTRAINT", schema: rel.schema, owner: rel.owner)
            // ONLY on a partitioned table too: its partitions' keys are made alone and attached (PartitionIndexes).
            sql += "ALTER TABLE ONLY \(rel.qname)\n    ADD CONSTRAINT \(qname) \(try row.string("def"));\n\n"
            if let index = try row.optionalString("replident_index") {
                sql += "ALTER TABLE ONLY \(rel.qname) REPLICA IDENTITY USING INDEX \(index);\n\n"
            }
            sql += settings.clusteredConstraints[try row.oid("oid")] ?? ""
            sql += comment("CONSTRAINT \(qname) ON \(rel.qname)", try row.optionalString("comment"))
            keyItems.append((SortKey(priority: 1, schema: rel.schema, name: rel.name, tiebreak: name),
                             Tablespaces.wrap(sql + "\n", tablespace: tablespaces[try row.oid("conindid")])))
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
        for row in foreignKeys {
            guard let rel = relName(try row.oid("conrelid")) else { continue }
            let name = try row.string("name"), qname = try row.string("qname")
            var sql = SQLText.header(name: "\(rel.name) \(name)", type: "FK CONSTRAINT", schema: rel.schema, owner: rel.owner)
            sql += "ALTER TABLE \(only(rel))\(rel.qname)\n    ADD CONSTRAINT \(qname) \(try row.string("def"));\n\n"
            sql += comment("CONSTRAINT \(qname) ON \(rel.qname)", try row.optionalString("comment"))
            keyItems.append((SortKey(priority: 5, schema: rel.schema, name: rel.name, tiebreak: name), sql + "\n"))
        }
        return keyItems
    }

    /// Indexes and extended statistics.
    func indexItems() throws -> [(SortKey, String)] {
        func relName(_ oid: UInt32) -> Rel? { rels[oid] }
        var keyItems: [(SortKey, String)] = []
        for row in try c.query(CatalogQueries.indexes, [relArray]).rows {
            guard let rel = relName(try row.oid("indrelid")) else { continue }
            let name = try row.string("name")
            // A partitioned table's is made ON ONLY it (as pg_get_indexdef writes it); its partitions' are made alone
            // and attached (PartitionIndexes), so that each keeps its own name and tablespace.
            var sql = SQLText.header(name: name, type: "INDEX", schema: rel.schema, owner: rel.owner) + (try row.string("def")) + ";\n\n"
            if try row.bool("indisclustered") { sql += "ALTER TABLE \(rel.qname) CLUSTER ON \(pgQuoteIdent(name));\n\n" }
            sql += settings.indexStatistics[try row.oid("oid")] ?? ""
            if try row.bool("indisreplident") {
                sql += "ALTER TABLE ONLY \(rel.qname) REPLICA IDENTITY USING INDEX \(pgQuoteIdent(name));\n\n"
            }
            sql += comment("INDEX \(try row.string("qname"))", try row.optionalString("comment"))
            keyItems.append((SortKey(priority: 2, schema: rel.schema, name: name, tiebreak: ""),
                             Tablespaces.wrap(sql + "\n", tablespace: tablespaces[try row.oid("oid")])))
        }
        keyItems += try partitionIndexItems()
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
        return keyItems
    }

    /// Triggers, rules, row security and policies.
    func triggerRuleAndPolicyItems() throws -> [(SortKey, String)] {
        func relName(_ oid: UInt32) -> Rel? { rels[oid] }
        var keyItems: [(SortKey, String)] = []
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
        return keyItems
    }

    mutating func readDefaultPrivileges() throws {
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
    }
}
