import LibPQ

/// Catalog query pieces that depend on the server's major version (`server_version_num`).
extension CatalogQueries {
    /// A domain's NOT NULL clause (an SQL expression over `t`, a pg_type row).
    ///
    /// From PostgreSQL 17 a domain's NOT NULL is also a pg_constraint row (contype 'n') with a name. It is
    /// written once, named only when the name is not the default `<domain>_not_null` (pg_dump's rule), and
    /// never again among the CHECK constraints: 17 rejects the repeat ("already exists"), 18 too ("redundant").
    static func domainNotNull(serverVersion: Int) -> String {
        guard serverVersion >= 170000 else { return "CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END" }
        return """
            CASE WHEN NOT t.typnotnull THEN ''
                 ELSE COALESCE((SELECT CASE WHEN k.conname = t.typname || '_not_null' THEN ' NOT NULL'
                                            ELSE ' CONSTRAINT ' || pg_catalog.quote_ident(k.conname) || ' NOT NULL' END
                                FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'n'
                                ORDER BY k.oid LIMIT 1), ' NOT NULL') END
            """
    }

    /// Tables' NOT NULL constraints (PostgreSQL 18: pg_constraint rows of contype 'n', one per column),
    /// with the name the same column's constraint has in the first parent, which a partition or
    /// inheritance child gets without being told.
    static let notNullConstraints = """
        SELECT k.conrelid, k.conkey[1] AS attnum, k.conname AS name, pg_catalog.quote_ident(k.conname) AS qname,
               pg_catalog.quote_ident(a.attname) AS column, a.attname, c.relname,
               k.convalidated, k.connoinherit, k.conislocal, pg_catalog.pg_get_constraintdef(k.oid) AS def,
               pg_catalog.obj_description(k.oid, 'pg_constraint') AS comment,
               (SELECT pk.conname FROM pg_catalog.pg_inherits i
                JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname
                JOIN pg_catalog.pg_constraint pk ON pk.conrelid = i.inhparent AND pk.contype = 'n' AND pk.conkey[1] = pa.attnum
                WHERE i.inhrelid = k.conrelid ORDER BY i.inhseqno LIMIT 1) AS parent_name
        FROM pg_catalog.pg_constraint k
        JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
        JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
        WHERE k.contype = 'n' AND k.conrelid = ANY($1::pg_catalog.oid[])
        """

    /// Before 18: inherited columns (of partitions and inheritance children) whose NOT NULL comes from a
    /// parent, which CREATE TABLE … INHERITS / PARTITION OF recreates by itself.
    static let inheritedNotNullColumns = """
        SELECT DISTINCT a.attrelid, a.attnum
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_inherits i ON i.inhrelid = a.attrelid
        JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname AND pa.attnotnull
        WHERE a.attrelid = ANY($1::pg_catalog.oid[]) AND a.attnotnull AND NOT a.attisdropped
        """
}

/// The NOT NULL constraints of the dumped tables as PostgreSQL 18 catalogs them, written as pg_dump 18 does.
///
/// From 18 a table's NOT NULL is a named constraint that can be NOT VALID, NO INHERIT, commented, and
/// named differently in a partition or inheritance child than in its parent. On older servers
/// (`isCatalogued` false) it is only `attnotnull`, which the table code writes itself.
struct NotNullConstraints {
    struct Constraint {
        var name, qname, column, attname, relname, def: String
        var validated, noInherit, isLocal: Bool
        var comment, parentName: String?

        /// pg_dump's rule: a name is written unless it is the one the server would choose again and
        /// nothing (a comment) refers to it.
        var isDefaultName: Bool { name == "\(relname)_\(attname)_not_null" && comment == nil }
    }

    /// Whether the server catalogs table NOT NULL constraints (18+); when false this value holds nothing.
    let isCatalogued: Bool
    private var byColumn: [UInt32: [Int: Constraint]] = [:]
    /// Before 18: "table:attnum" of inherited columns whose NOT NULL is the parent's.
    private var inheritedFromParent: Set<String> = []

    init(_ c: Connection, relationArray: String) throws {
        isCatalogued = c.serverVersionNumber >= 180000
        guard isCatalogued else {
            for row in try c.query(CatalogQueries.inheritedNotNullColumns, [relationArray]).rows {
                inheritedFromParent.insert("\(try row.oid("attrelid")):\(try row.int("attnum"))")
            }
            return
        }
        for row in try c.query(CatalogQueries.notNullConstraints, [relationArray]).rows {
            let constraint = Constraint(
                name: try row.string("name"), qname: try row.string("qname"), column: try row.string("column"),
                attname: try row.string("attname"), relname: try row.string("relname"), def: try row.string("def"),
                validated: try row.bool("convalidated"), noInherit: try row.bool("connoinherit"), isLocal: try row.bool("conislocal"),
                comment: try row.optionalString("comment"), parentName: try row.optionalString("parent_name"))
            byColumn[try row.oid("conrelid"), default: [:]][try row.int("attnum")] = constraint
        }
    }

    /// Before 18, whether an inherited column's NOT NULL is its own and so is set after CREATE TABLE
    /// (`SET NOT NULL`); one that comes from a parent is left to the parent, or an 18 server restoring
    /// the script would record it as the child's own constraint.
    func setsInheritedNotNull(table: UInt32, attnum: Int, attnotnull: Bool) -> Bool {
        !isCatalogued && attnotnull && !inheritedFromParent.contains("\(table):\(attnum)")
    }

    /// The clause after a column written in CREATE TABLE's column list (" NOT NULL", " CONSTRAINT x NOT NULL NO INHERIT"),
    /// empty when the column has none of its own or it is NOT VALID (added after the data instead).
    func columnClause(table: UInt32, attnum: Int) -> String {
        guard let k = byColumn[table]?[attnum], k.validated, k.isLocal else { return "" }
        return (k.isDefaultName ? " NOT NULL" : " CONSTRAINT \(k.qname) NOT NULL") + (k.noInherit ? " NO INHERIT" : "")
    }

    /// The clause after a column of a partition created alone and then attached (Tablespaces): its NOT NULL even when
    /// inherited, as ATTACH PARTITION wants it there, named unless the name is the one this table would get.
    func attachedPartitionClause(table: UInt32, attnum: Int) -> String {
        guard let k = byColumn[table]?[attnum], k.validated else { return "" }
        return (k.isDefaultName ? " NOT NULL" : " CONSTRAINT \(k.qname) NOT NULL") + (k.noInherit ? " NO INHERIT" : "")
    }

    /// Table-constraint elements (`CONSTRAINT x NOT NULL col`) for the columns a table inherits, which
    /// are not in its column list: those whose constraint is its own or named other than the parent's.
    func inheritedElements(table: UInt32, attnums: [Int]) -> [String] {
        attnums.compactMap { attnum in
            guard let k = byColumn[table]?[attnum], k.validated, k.isLocal || k.name != k.parentName else { return nil }
            return "CONSTRAINT \(k.qname) NOT NULL \(k.column)" + (k.noInherit ? " NO INHERIT" : "")
        }
    }

    /// COMMENT ON CONSTRAINT statements for the valid constraints, which exist once the table does.
    func comments(table: UInt32, qualifiedTable: String) -> String {
        (byColumn[table] ?? [:]).sorted { $0.key < $1.key }.compactMap { _, k in
            guard k.validated, let text = k.comment else { return nil }
            return "COMMENT ON CONSTRAINT \(k.qname) ON \(qualifiedTable) IS \(SQLText.literal(text));\n\n"
        }.joined()
    }

    /// NOT VALID constraints, added after the data as pg_dump does (so rows that are NULL still load),
    /// each with its comment; `(constraint name, SQL)` in column order.
    func notValid(table: UInt32, qualifiedTable: String) -> [(String, String)] {
        (byColumn[table] ?? [:]).sorted { $0.key < $1.key }.compactMap { _, k in
            guard !k.validated, k.isLocal else { return nil }
            var sql = "ALTER TABLE \(qualifiedTable)\n    ADD CONSTRAINT \(k.qname) \(k.def);\n\n"
            if let text = k.comment { sql += "COMMENT ON CONSTRAINT \(k.qname) ON \(qualifiedTable) IS \(SQLText.literal(text));\n\n" }
            return (k.name, sql)
        }
    }
}
