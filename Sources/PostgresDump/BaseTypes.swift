/// Base types (`CREATE TYPE t (INPUT = …, OUTPUT = …)`) and shell types, written as pg_dump.c's dumpBaseType,
/// dumpShellType and dumpUndefinedType write them.
///
/// A base type and its I/O functions depend on each other: the functions take or return the type, and the type
/// names them. pg_dump breaks the loop with the shell (`CREATE TYPE t;`): written first, the functions are made
/// on it, then the full definition fills it in. A shell type never filled in is written alone, with its owner,
/// comment and privileges. The array type is made implicitly by the base type's CREATE.
enum BaseTypes {
    /// A filter over `t` (a pg_type row) keeping base types that are not an implicit array (pg_dump's `isarray`)
    /// and shell types that were never filled in.
    static let filter = """
        (t.typtype = 'b' AND NOT (t.typelem <> 0 AND (SELECT te.typarray FROM pg_catalog.pg_type te WHERE te.oid = t.typelem) = t.oid))
        OR (t.typtype = 'p' AND NOT t.typisdefined)
        """

    /// The I/O functions of a base type `t` that take or return it, as a comma-separated oid list (the ones the
    /// shell stands in for); NULL for other types.
    static let ioFunctions = """
        CASE WHEN t.typtype = 'b' THEN pg_catalog.concat_ws(',', t.typinput::pg_catalog.oid, t.typoutput::pg_catalog.oid,
                                                             NULLIF(t.typreceive::pg_catalog.oid, 0), NULLIF(t.typsend::pg_catalog.oid, 0)) END
        """

    /// The options of a base type `t`, one a line, in pg_dump's order; `regproc` output is schema-qualified where
    /// needed (search_path is empty), as pg_dump prints it.
    static func options(serverVersion: Int) -> String {
        func function(_ column: String, _ option: String) -> String {
            "CASE WHEN t.\(column) <> 0 THEN E',\\n    \(option) = ' || t.\(column)::pg_catalog.regproc::text ELSE '' END"
        }
        let subscriptOption = serverVersion >= 140000 ? function("typsubscript", "SUBSCRIPT") + " ||" : ""
        return """
            'INTERNALLENGTH = ' || CASE WHEN t.typlen = -1 THEN 'variable' ELSE t.typlen::text END ||
            E',\\n    INPUT = ' || t.typinput::pg_catalog.regproc::text || E',\\n    OUTPUT = ' || t.typoutput::pg_catalog.regproc::text ||
            \(function("typreceive", "RECEIVE")) || \(function("typsend", "SEND")) ||
            \(function("typmodin", "TYPMOD_IN")) || \(function("typmodout", "TYPMOD_OUT")) || \(function("typanalyze", "ANALYZE")) ||
            CASE WHEN t.typcollation <> 0 THEN E',\\n    COLLATABLE = true' ELSE '' END ||
            CASE WHEN t.typdefaultbin IS NOT NULL THEN E',\\n    DEFAULT = ' || pg_catalog.pg_get_expr(t.typdefaultbin, 0)
                 WHEN t.typdefault IS NOT NULL THEN E',\\n    DEFAULT = ' || pg_catalog.quote_literal(t.typdefault) ELSE '' END ||
            \(subscriptOption)
            CASE WHEN t.typelem <> 0 THEN E',\\n    ELEMENT = ' || pg_catalog.format_type(t.typelem, NULL) ELSE '' END ||
            CASE WHEN t.typcategory <> 'U' THEN E',\\n    CATEGORY = ' || pg_catalog.quote_literal(t.typcategory::text) ELSE '' END ||
            CASE WHEN t.typispreferred THEN E',\\n    PREFERRED = true' ELSE '' END ||
            CASE WHEN t.typdelim <> ',' THEN E',\\n    DELIMITER = ' || pg_catalog.quote_literal(t.typdelim::text) ELSE '' END ||
            E',\\n    ALIGNMENT = ' || CASE t.typalign WHEN 'c' THEN 'char' WHEN 's' THEN 'int2' WHEN 'i' THEN 'int4' ELSE 'double' END ||
            E',\\n    STORAGE = ' || CASE t.typstorage WHEN 'p' THEN 'plain' WHEN 'e' THEN 'external' WHEN 'x' THEN 'extended' ELSE 'main' END ||
            CASE WHEN t.typbyval THEN E',\\n    PASSEDBYVALUE' ELSE '' END
            """
    }

    /// The shell a base type's I/O functions are made on: the pre-data item keyed `shell:oid`, and what the base type's
    /// own item needs to send those functions' dependencies on the type to it.
    static func shell(oid: UInt32, schema: String, name: String, qname: String, owner: String,
                      ioFunctions: String) -> (item: PreItem, redirect: PreItem.ShellRedirect) {
        let key = "shell:\(oid)"
        // No owner here (as pg_dump): the full definition's item sets it once the type is filled in.
        let sql = SQLText.header(name: name, type: "SHELL TYPE", schema: schema, owner: owner) + "CREATE TYPE \(qname);\n\n\n"
        let functions = Set(ioFunctions.split(separator: ",").map { "proc:\($0)" })
        return (PreItem(key: key, sortKey: SortKey(priority: 3, schema: schema, name: name, tiebreak: "shell"), sql: sql),
                PreItem.ShellRedirect(shell: key, functions: functions))
    }
}
