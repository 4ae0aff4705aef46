import Foundation
import LibPQ
import PostgresRestore
import VaultopsCore

/// What a partial restore finds in its target before it runs: which destinations exist, and whether replacing a
/// partitioned table would drop partitions that were not asked for.
enum PartialTargetCheck {
    /// Refuses (before anything runs) what would lose data the request did not name; returns the destinations
    /// that exist in the target (dropped first: by the plan when replacing, by the caller beside with --force).
    static func check(_ contents: DumpContents, plan: PartialPlan, request: PartialRestoreRequest, force: Bool,
                      connection: Connection) throws -> [TableName] {
        let replacing = request.renameTo == nil && request.intoSchema == nil
        if replacing { try checkPartitions(contents, tables: plan.tables, connection: connection) }
        let existing = try plan.destinations.filter { try exists($0, connection: connection) }
        if !existing.isEmpty && !force {
            let names = existing.map(\.description).joined(separator: ", ")
            throw RestoreRequestError(replacing
                ? "the target already has table(s) \(names): --table/--schema replaces them (dropping the live ones) only with --force; "
                    + "or restore beside them with --rename-to or --into-schema. Nothing was restored."
                : "the target already has table(s) \(names): restoring under those names replaces them only with --force; "
                    + "or choose another --rename-to/--into-schema. Nothing was restored.")
        }
        return existing
    }

    /// `DROP TABLE parent` drops every partition: refuse when a selected table is partitioned (in the dump or the
    /// target) and some partition of it, at any depth, is not selected too.
    static func checkPartitions(_ contents: DumpContents, tables: [TableName], connection: Connection) throws {
        let selected = Set(tables)
        let dumpChildren = partitionsInDump(contents)
        for table in tables {
            var all = descendants(of: table, children: dumpChildren)
            all += try partitionsInTarget(of: table, connection: connection).filter { !all.contains($0) }
            let missing = all.filter { !selected.contains($0) }
            guard !missing.isEmpty else { continue }
            throw RestoreRequestError(
                "\(table) is partitioned and replacing it drops all its partitions, but these are not selected: "
                + missing.map(\.description).joined(separator: ", ")
                + ". Restore the whole schema with --schema, add each partition with --table, or restore beside it with --rename-to. "
                + "Nothing was restored.")
        }
    }

    /// Parent → partitions, from the dump's `ALTER TABLE ONLY parent ATTACH PARTITION child …` entries.
    static func partitionsInDump(_ contents: DumpContents) -> [TableName: [TableName]] {
        var children: [TableName: [TableName]] = [:]
        for entry in contents.entries where entry.kind == "TABLE ATTACH" {
            guard let schema = entry.schema, let text = entry.text,
                  let only = text.range(of: "ALTER TABLE ONLY "), let attach = text.range(of: " ATTACH PARTITION ", range: only.upperBound..<text.endIndex),
                  let parent = TableName(parsing: String(text[only.upperBound..<attach.lowerBound]).trimmingCharacters(in: .whitespaces))
            else { continue }
            children[parent, default: []].append(TableName(schema: schema, name: entry.name))
        }
        return children
    }

    static func descendants(of table: TableName, children: [TableName: [TableName]]) -> [TableName] {
        var found: [TableName] = []
        var queue = children[table] ?? []
        while let next = queue.popLast() {
            guard !found.contains(next) else { continue }
            found.append(next)
            queue += children[next] ?? []
        }
        return found
    }

    /// Every partition of `table` in the target, at any depth (none when it is not partitioned or absent).
    static func partitionsInTarget(of table: TableName, connection: Connection) throws -> [TableName] {
        let regclass = literal(quote(table.schema) + "." + quote(table.name))
        let result = try connection.execute("""
            SELECT n.nspname, c.relname FROM pg_catalog.pg_partition_tree(pg_catalog.to_regclass(\(regclass))) t
            JOIN pg_catalog.pg_class c ON c.oid = t.relid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE t.level > 0 AND c.relkind IN ('r', 'p') ORDER BY t.level, n.nspname, c.relname
            """)
        return (0..<result.rowCount).compactMap { row in
            guard let schema = result[row, 0], let name = result[row, 1] else { return nil }
            return TableName(schema: schema, name: name)
        }
    }

    static func exists(_ table: TableName, connection: Connection) throws -> Bool {
        let regclass = literal(quote(table.schema) + "." + quote(table.name))
        return try connection.execute("SELECT pg_catalog.to_regclass(\(regclass)) IS NOT NULL")[0, 0] == "t"
    }

    private static func quote(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    private static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
