/// Orders objects so that each comes after everything it depends on, deterministically.
///
/// Kahn's algorithm; among the objects that are ready, the one with the smallest sort key goes
/// first, so the order does not depend on OIDs or catalog scan order. A dependency cycle (which a
/// consistent catalog should not have among the objects we create separately) is broken by taking
/// the smallest remaining object, so a dump never stalls.
enum DependencyOrder {
    /// The indices of `keys` in output order; `edges[i]` lists the indices object `i` depends on.
    static func sort<Key: Comparable>(keys: [Key], edges: [[Int]]) -> [Int] {
        let count = keys.count
        var remainingDeps = [Int](repeating: 0, count: count)
        var dependents = [[Int]](repeating: [], count: count)
        for (node, deps) in edges.enumerated() {
            for dep in Set(deps) where dep != node {
                remainingDeps[node] += 1
                dependents[dep].append(node)
            }
        }
        var done = [Bool](repeating: false, count: count)
        var ready = (0..<count).filter { remainingDeps[$0] == 0 }
        var order: [Int] = []
        order.reserveCapacity(count)
        while order.count < count {
            let next: Int
            if let best = ready.indices.min(by: { keys[ready[$0]] < keys[ready[$1]] || (keys[ready[$0]] == keys[ready[$1]] && ready[$0] < ready[$1]) }) {
                next = ready.remove(at: best)
            } else {
                next = (0..<count).filter { !done[$0] }.min { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }!
            }
            if done[next] { continue }
            done[next] = true
            order.append(next)
            for dependent in dependents[next] where !done[dependent] {
                remainingDeps[dependent] -= 1
                if remainingDeps[dependent] == 0 { ready.append(dependent) }
            }
        }
        return order
    }
}
