import Foundation
import LibPQ

extension Migrator {
    /// Refuses target tables that hold rows (unless `--replace`) and tables other objects depend on (unless
    /// `--replace-cascade`); returns the existing tables to drop.
    static func inspectTarget(_ plan: MigrationPlan, options: MigrationOptions) throws -> [String] {
        do {
            let pg = try LibPQ.Connection(options.postgresURL)
            var toDrop: [String] = []
            var refused: [String] = []
            for table in plan.tables {
                let exists = try pg.query("SELECT to_regclass($1) IS NOT NULL AS e", [table.target]).rows.first?.bool("e") ?? false
                guard exists else { continue }
                let hasRows = try pg.execute("SELECT EXISTS (SELECT 1 FROM \(table.target)) AS e").rows.first?.bool("e") ?? false
                if hasRows && !options.replace { refused.append(table.source.name) } else { toDrop.append(table.target) }
            }
            guard refused.isEmpty else {
                throw MigrationError(.targetNotEmpty, "target table(s) already hold rows in schema \(options.schema): \(refused.joined(separator: ", ")); use --replace to drop and recreate them")
            }
            if !toDrop.isEmpty && !options.replaceCascade {
                let dependents = try dependentObjects(of: toDrop, connection: pg)
                guard dependents.isEmpty else { throw dependentsError(toDrop, dependents) }
            }
            return toDrop
        } catch let error as MigrationError {
            throw error
        } catch {
            throw MigrationError(.target, "preparing the target: \(error)")
        }
    }

    static func dependentsError(_ tables: [String], _ dependents: [String]) -> MigrationError {
        MigrationError(.targetHasDependents, """
            replacing \(tables.joined(separator: ", ")) would also drop \(dependents.count) object(s) that depend on them: \
            \(dependents.joined(separator: "; ")). Drop or change them first, or pass --replace-cascade to drop them too \
            (the report then lists them); nothing was changed
            """)
    }

    /// Objects outside `tables` that `DROP TABLE … CASCADE` would drop with them (views, materialized views,
    /// other tables' foreign keys, functions and columns using their row types, rules, defaults using their
    /// sequences, and whatever depends on those in turn), as "kind name", sorted.
    ///
    /// Follows pg_depend as PostgreSQL's dependency.c does: the tables' own parts (indexes, constraints, row
    /// type, TOAST table, owned sequences, triggers, defaults) hang on them by automatic or internal
    /// dependencies; everything with a normal dependency on one of those is outside, and an internal part
    /// (a view's rewrite rule) stands for the object that owns it.
    static func dependentObjects(of tables: [String], connection pg: LibPQ.Connection) throws -> [String] {
        let sql = """
            WITH RECURSIVE
            own(classid, objid) AS (
                SELECT 'pg_class'::regclass::oid, t::regclass::oid FROM unnest($1::text[]) AS t
              UNION
                SELECT d.classid, d.objid FROM pg_depend d JOIN own o ON d.refclassid = o.classid AND d.refobjid = o.objid
                WHERE d.deptype IN ('a', 'i')
            ),
            dependents(classid, objid) AS (
                SELECT d.classid, d.objid FROM pg_depend d JOIN own o ON d.refclassid = o.classid AND d.refobjid = o.objid
                WHERE d.deptype = 'n'
              UNION
                SELECT CASE WHEN d.classid = x.classid AND d.objid = x.objid THEN d.refclassid ELSE d.classid END,
                       CASE WHEN d.classid = x.classid AND d.objid = x.objid THEN d.refobjid ELSE d.objid END
                FROM pg_depend d JOIN dependents x
                  ON (d.refclassid = x.classid AND d.refobjid = x.objid AND d.deptype IN ('n', 'a', 'i'))
                  OR (d.classid = x.classid AND d.objid = x.objid AND d.deptype = 'i')
            ),
            owners AS (
                SELECT DISTINCT COALESCE(i.refclassid, x.classid) AS classid, COALESCE(i.refobjid, x.objid) AS objid
                FROM dependents x LEFT JOIN pg_depend i ON i.classid = x.classid AND i.objid = x.objid AND i.deptype = 'i'
            )
            SELECT DISTINCT o.type || ' ' || o.identity AS object
            FROM owners w, pg_identify_object(w.classid, w.objid, 0) o
            WHERE NOT EXISTS (SELECT 1 FROM own WHERE own.classid = w.classid AND own.objid = w.objid)
            ORDER BY 1
            """
        let array = "{" + tables.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
        return try pg.query(sql, [array]).rows.map { try $0.string("object") }
    }

    /// What `prepareTarget` created, so that a run that commits nothing can remove it again, and what it dropped.
    struct PreparedTarget {
        var createdSchema: String?
        var createdCollation: String?
        /// Objects `--replace-cascade` dropped with the replaced tables.
        var droppedDependents: [String] = []
    }

    /// Creates the schema and collations, refuses non-empty tables, and drops tables `--replace` replaces.
    @discardableResult
    static func prepareTarget(_ plan: MigrationPlan, options: MigrationOptions, log: (String) -> Void) throws -> PreparedTarget {
        let toDrop = try inspectTarget(plan, options: options)
        var prepared = PreparedTarget()
        do {
            let pg = try LibPQ.Connection(options.postgresURL)
            try pg.execute("BEGIN")
            let schemaExists = try pg.query("SELECT to_regnamespace($1) IS NOT NULL AS e", [pgIdentifier(options.schema)]).rows.first?.bool("e") ?? false
            let collationExists = try pg.query(
                "SELECT EXISTS (SELECT 1 FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace WHERE n.nspname = $1 AND c.collname = 'nocase') AS e",
                [options.schema]).rows.first?.bool("e") ?? false
            for step in plan.preamble {
                // CREATE SCHEMA IF NOT EXISTS would log a notice for every existing schema such as public.
                if step.kind == .table && schemaExists { continue }
                if let sql = step.sql { try pg.execute(sql) }
                if step.kind == .table { prepared.createdSchema = pgIdentifier(options.schema) }
                if step.kind == .collation && !collationExists { prepared.createdCollation = "\(pgIdentifier(options.schema)).\"nocase\"" }
            }
            // --replace (or an empty leftover table) drops before the load, in its own transaction: the
            // parallel load cannot create a table whose drop another open transaction holds. All tables in
            // one statement, so that foreign keys among them need no CASCADE; without --replace-cascade the
            // server itself refuses if something appeared since inspectTarget looked.
            if !toDrop.isEmpty {
                try pg.execute("LOCK TABLE \(toDrop.joined(separator: ", ")) IN ACCESS EXCLUSIVE MODE")
                let dependents = try dependentObjects(of: toDrop, connection: pg)
                if !dependents.isEmpty && !options.replaceCascade { throw dependentsError(toDrop, dependents) }
                for object in dependents { log("dropping \(object) (--replace-cascade)") }
                log("dropping \(toDrop.joined(separator: ", "))")
                try pg.execute("DROP TABLE \(toDrop.joined(separator: ", "))\(options.replaceCascade ? " CASCADE" : "")")
                prepared.droppedDependents = dependents
            }
            try pg.execute("COMMIT")
        } catch let error as MigrationError {
            throw error
        } catch {
            throw MigrationError(.target, "preparing the target: \(error)")
        }
        return prepared
    }

    /// Removes the schema and collation a run created when it committed nothing (best effort: a schema
    /// something else has meanwhile put objects in is kept).
    static func undoPrepare(_ prepared: PreparedTarget, options: MigrationOptions) {
        guard prepared.createdSchema != nil || prepared.createdCollation != nil,
              let pg = try? LibPQ.Connection(options.postgresURL) else { return }
        if let collation = prepared.createdCollation { _ = try? pg.execute("DROP COLLATION IF EXISTS \(collation)") }
        if let schema = prepared.createdSchema { _ = try? pg.execute("DROP SCHEMA IF EXISTS \(schema) RESTRICT") }
    }
}
