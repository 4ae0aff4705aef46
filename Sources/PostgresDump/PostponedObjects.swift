/// Pre-data objects that must wait for a key constraint, which a dump creates only after the data.
///
/// A view, materialized view or SQL-standard function body whose query relies on a table's primary key
/// (`SELECT id, name FROM t GROUP BY id`: a functional dependency) depends on the key constraint in
/// pg_depend. pg_dump moves such objects after the constraint (a view through a placeholder it replaces
/// there); this dump moves them, and every pre-data object that depends on them, into post-data right
/// after the key constraints, in dependency order.
enum PostponedObjects {
    /// Primary key, unique and exclusion constraints, as `con:<oid>` keys for the dependency map.
    static let keyConstraintOwners = """
        SELECT 'pg_constraint' AS classid, k.oid AS objid, 'con:' || k.oid AS key
        FROM pg_catalog.pg_constraint k WHERE k.oid >= 16384 AND k.contype IN ('p', 'u', 'x')
        """

    /// Whether `key` (from `keyConstraintOwners`) names a key constraint.
    static func isKeyConstraint(_ key: String) -> Bool { key.hasPrefix("con:") }

    /// The items to postpone: `needKey` and, transitively, every item that depends on one of them.
    ///
    /// `edges[i]` lists the items item `i` depends on; `movable(i)` says whether an item may leave
    /// pre-data at all (tables, sequences and types must stay before the data that fills them).
    static func closure(needKey: Set<Int>, edges: [[Int]], movable: (Int) -> Bool) -> Set<Int> {
        var dependents = [[Int]](repeating: [], count: edges.count)
        for (item, deps) in edges.enumerated() {
            for dep in deps where dep != item { dependents[dep].append(item) }
        }
        var postponed = Set<Int>()
        var queue = needKey.filter(movable).sorted()
        while let next = queue.popLast() {
            guard postponed.insert(next).inserted else { continue }
            queue += dependents[next].filter { movable($0) && !postponed.contains($0) }
        }
        return postponed
    }
}
