/// Orders objects so that each comes after everything it depends on, deterministically.
///
/// Kahn's algorithm; among the objects that are ready, the one with the smallest sort key goes
/// first, so the order does not depend on OIDs or catalog scan order. A dependency cycle (which a
/// consistent catalog should not have among the objects we create separately) is broken by taking
/// the smallest remaining object, so a dump never stalls. The ready objects wait in a binary heap of
/// their rank in key order, so thousands of objects sort in O(n log n) rather than O(n²).
enum DependencyOrder {
    /// The indices of `keys` in output order; `edges[i]` lists the indices object `i` depends on.
    static func sort<Key: Comparable>(keys: [Key], edges: [[Int]]) -> [Int] {
        let count = keys.count
        // Rank by key, equal keys in input order: the heap then compares integers only.
        let byKey = (0..<count).sorted { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
        var rank = [Int](repeating: 0, count: count)
        for (position, index) in byKey.enumerated() { rank[index] = position }

        var remainingDeps = [Int](repeating: 0, count: count)
        var dependents = [[Int]](repeating: [], count: count)
        for (node, deps) in edges.enumerated() {
            for dep in Set(deps) where dep != node {
                remainingDeps[node] += 1
                dependents[dep].append(node)
            }
        }
        var done = [Bool](repeating: false, count: count)
        var ready = RankHeap()
        for node in 0..<count where remainingDeps[node] == 0 { ready.push(rank[node]) }
        var order: [Int] = []
        order.reserveCapacity(count)
        var smallestUnplaced = 0
        while order.count < count {
            let next: Int
            if let best = ready.pop() {
                next = byKey[best]
            } else {
                // A cycle: take the smallest object not yet placed.
                while done[byKey[smallestUnplaced]] { smallestUnplaced += 1 }
                next = byKey[smallestUnplaced]
            }
            if done[next] { continue }
            done[next] = true
            order.append(next)
            for dependent in dependents[next] where !done[dependent] {
                remainingDeps[dependent] -= 1
                if remainingDeps[dependent] == 0 { ready.push(rank[dependent]) }
            }
        }
        return order
    }
}

/// A binary min-heap of ranks.
private struct RankHeap {
    private var items: [Int] = []

    mutating func push(_ value: Int) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return first }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
