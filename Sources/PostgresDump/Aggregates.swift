/// The options of `CREATE AGGREGATE` for every kind pg_dump writes (dumpAgg): normal, ordered-set and
/// hypothetical-set aggregates, with their final-function extras and modify modes, combine, serial and deserial
/// functions, transition-state sizes, moving-aggregate options, sort operator and parallel safety.
enum Aggregates {
    /// `OPERATOR(schema.name)`, the form CREATE AGGREGATE takes for a qualified operator.
    static let sortOperator = """
        (SELECT 'OPERATOR(' || pg_catalog.quote_ident(o.nspname) || '.' || op.oprname || ')'
         FROM pg_catalog.pg_operator op JOIN pg_catalog.pg_namespace o ON o.oid = op.oprnamespace WHERE op.oid = a.aggsortop)
        """

    /// A finalfunc_modify letter as its keyword.
    static func modify(_ column: String) -> String {
        "CASE \(column) WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END"
    }

    /// SQL giving the parenthesized options of the aggregate `p.oid`, one a line (`aggbody`), as pg_dump lists them;
    /// a modify mode is written where it differs from the kind's default (READ_ONLY for normal aggregates,
    /// READ_WRITE for ordered-set ones).
    static let body = """
        (SELECT pg_catalog.array_to_string(ARRAY[
                    'SFUNC = ' || a.aggtransfn::pg_catalog.regproc::text,
                    'STYPE = ' || pg_catalog.format_type(a.aggtranstype, NULL),
                    CASE WHEN a.aggtransspace <> 0 THEN 'SSPACE = ' || a.aggtransspace END,
                    CASE WHEN a.aggfinalfn <> 0 THEN 'FINALFUNC = ' || a.aggfinalfn::pg_catalog.regproc::text END,
                    CASE WHEN a.aggfinalextra THEN 'FINALFUNC_EXTRA' END,
                    CASE WHEN a.aggfinalfn <> 0 AND a.aggfinalmodify <> CASE WHEN a.aggkind = 'n' THEN 'r' ELSE 'w' END
                         THEN 'FINALFUNC_MODIFY = ' || \(modify("a.aggfinalmodify")) END,
                    CASE WHEN a.aggcombinefn <> 0 THEN 'COMBINEFUNC = ' || a.aggcombinefn::pg_catalog.regproc::text END,
                    CASE WHEN a.aggserialfn <> 0 THEN 'SERIALFUNC = ' || a.aggserialfn::pg_catalog.regproc::text END,
                    CASE WHEN a.aggdeserialfn <> 0 THEN 'DESERIALFUNC = ' || a.aggdeserialfn::pg_catalog.regproc::text END,
                    CASE WHEN a.agginitval IS NOT NULL THEN 'INITCOND = ' || pg_catalog.quote_literal(a.agginitval) END,
                    CASE WHEN a.aggmtransfn <> 0 THEN 'MSFUNC = ' || a.aggmtransfn::pg_catalog.regproc::text END,
                    CASE WHEN a.aggminvtransfn <> 0 THEN 'MINVFUNC = ' || a.aggminvtransfn::pg_catalog.regproc::text END,
                    CASE WHEN a.aggmtransfn <> 0 THEN 'MSTYPE = ' || pg_catalog.format_type(a.aggmtranstype, NULL) END,
                    CASE WHEN a.aggmtransspace <> 0 THEN 'MSSPACE = ' || a.aggmtransspace END,
                    CASE WHEN a.aggmfinalfn <> 0 THEN 'MFINALFUNC = ' || a.aggmfinalfn::pg_catalog.regproc::text END,
                    CASE WHEN a.aggmfinalextra THEN 'MFINALFUNC_EXTRA' END,
                    CASE WHEN a.aggmfinalfn <> 0 AND a.aggmfinalmodify <> CASE WHEN a.aggkind = 'n' THEN 'r' ELSE 'w' END
                         THEN 'MFINALFUNC_MODIFY = ' || \(modify("a.aggmfinalmodify")) END,
                    CASE WHEN a.aggminitval IS NOT NULL THEN 'MINITCOND = ' || pg_catalog.quote_literal(a.aggminitval) END,
                    CASE WHEN a.aggsortop <> 0 THEN 'SORTOP = ' || \(sortOperator) END,
                    CASE p.proparallel WHEN 's' THEN 'PARALLEL = safe' WHEN 'r' THEN 'PARALLEL = restricted' END,
                    CASE WHEN a.aggkind = 'h' THEN 'HYPOTHETICAL' END
                ], E',\\n    ')
         FROM pg_catalog.pg_aggregate a WHERE a.aggfnoid = p.oid)
        """
}
