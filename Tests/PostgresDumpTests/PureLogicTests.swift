@testable import PostgresDump
import LibPQ
import Testing
import Glibc

@Suite("Pure dump logic")
struct PureLogicTests {
    struct OrderCase: CustomTestStringConvertible, Sendable {
        var label: String
        var keys: [String]
        var edges: [[Int]]
        var expected: [Int]
        var testDescription: String { label }
    }

    @Test(arguments: [
        OrderCase(label: "no edges: by key", keys: ["c", "a", "b"], edges: [[], [], []], expected: [1, 2, 0]),
        OrderCase(label: "dependency beats key", keys: ["a", "b"], edges: [[1], []], expected: [1, 0]),
        OrderCase(label: "chain", keys: ["a", "b", "c"], edges: [[1], [2], []], expected: [2, 1, 0]),
        OrderCase(label: "diamond", keys: ["d", "b", "c", "a"], edges: [[1, 2], [3], [3], []], expected: [3, 1, 2, 0]),
        OrderCase(label: "cycle is broken by smallest key", keys: ["b", "a", "c"], edges: [[1], [0], [0]], expected: [1, 0, 2]),
        OrderCase(label: "self edge ignored", keys: ["a"], edges: [[0]], expected: [0]),
        OrderCase(label: "equal keys keep input order", keys: ["x", "x", "x"], edges: [[], [], []], expected: [0, 1, 2]),
    ])
    func dependencyOrder(_ c: OrderCase) {
        #expect(DependencyOrder.sort(keys: c.keys, edges: c.edges) == c.expected)
    }

    @Test(arguments: [
        ("plain", "plain"),
        ("two\nlines", "two lines"),
        ("cr\r\nlf", "cr  lf"),
        ("\n\\! rm -rf /", " \\! rm -rf /"),
        ("unicode\u{2028}sep", "unicode sep"),
    ])
    func commentSafeNames(input: String, expected: String) {
        let safe = SQLText.commentSafe(input)
        #expect(safe == expected)
        #expect(!safe.contains("\n") && !safe.contains("\r"))
    }

    @Test(arguments: [
        ("x", "'x'"),
        ("it's", "'it''s'"),
        ("back\\slash", "'back\\slash'"),
        ("", "''"),
    ])
    func literals(input: String, expected: String) {
        #expect(SQLText.literal(input) == expected)
    }

    @Test func reloptionsAreQuoted() {
        #expect(SQLText.reloptions(["fillfactor=80", "autovacuum_enabled=false"]) == "fillfactor='80', autovacuum_enabled='false'")
        #expect(SQLText.reloptions([]) == "")
        #expect(SQLText.reloptions(["check_option=local"]) == "check_option='local'")
    }

    @Test func columnOptionsKeepOnlyThoseAlterColumnTakes() {
        #expect(ColumnOptions.dumpable(["pg_attver=31010992", "n_distinct=5"]) == "n_distinct='5'")
        #expect(ColumnOptions.dumpable(["n_distinct_inherited=-0.5", nil, "pg_attver=1"]) == "n_distinct_inherited='-0.5'")
        #expect(ColumnOptions.dumpable(["pg_attver=31010992"]) == "")
    }

    @Test func postponedObjectsTakeTheirDependentsAlong() {
        // 0 needs a key; 1 depends on 0; 2 (a table) depends on 1 but may not move; 3 is independent; 4 depends on 1.
        let edges: [[Int]] = [[], [0], [1], [], [1]]
        let postponed = PostponedObjects.closure(needKey: [0], edges: edges) { $0 != 2 }
        #expect(postponed == [0, 1, 4])
        #expect(PostponedObjects.closure(needKey: [], edges: edges) { _ in true }.isEmpty)
    }

    @Test func headerHasNoLineBreakInNames() {
        let header = SQLText.header(name: "a\nb", type: "TABLE", schema: "s\nx", owner: "o")
        #expect(header == "--\n-- Name: a b; Type: TABLE; Schema: s x; Owner: o\n--\n\n")
    }

    @Test func sortKeyOrdersByPriorityThenNames() {
        let a = SortKey(priority: 1, schema: "z", name: "z", tiebreak: "")
        let b = SortKey(priority: 2, schema: "a", name: "a", tiebreak: "")
        let c = SortKey(priority: 2, schema: "a", name: "b", tiebreak: "")
        #expect(a < b && b < c && !(c < a))
    }

    struct CollationCase: CustomTestStringConvertible, Sendable {
        var label: String
        var provider: String
        var deterministic = true
        var lcCollate: String?
        var lcCtype: String?
        var locale: String?
        var rules: String?
        var expected: String
        var testDescription: String { label }
    }

    /// pg_dump's CREATE COLLATION options for each provider and locale layout.
    @Test(arguments: [
        CollationCase(label: "libc, one locale", provider: "c", lcCollate: "C.utf8", lcCtype: "C.utf8",
                      expected: "provider = libc, locale = 'C.utf8'"),
        CollationCase(label: "libc, two locales", provider: "c", lcCollate: "C", lcCtype: "C.utf8",
                      expected: "provider = libc, lc_collate = 'C', lc_ctype = 'C.utf8'"),
        CollationCase(label: "icu, non-deterministic", provider: "i", deterministic: false, lcCollate: "und", lcCtype: "und",
                      locale: "und-u-ks-level2", expected: "provider = icu, deterministic = false, locale = 'und-u-ks-level2'"),
        CollationCase(label: "icu with rules", provider: "i", locale: "und", rules: "&a < g",
                      expected: "provider = icu, locale = 'und', rules = '&a < g'"),
        CollationCase(label: "builtin", provider: "b", locale: "C.UTF-8", expected: "provider = builtin, locale = 'C.UTF-8'"),
        CollationCase(label: "quotes in a locale", provider: "c", lcCollate: "it's", lcCtype: "it's",
                      expected: "provider = libc, locale = 'it''s'"),
    ])
    func collationOptions(_ c: CollationCase) throws {
        #expect(try Collations.options(provider: c.provider, deterministic: c.deterministic, lcCollate: c.lcCollate,
                                       lcCtype: c.lcCtype, locale: c.locale, rules: c.rules) == c.expected)
    }

    @Test func collationOfTheDefaultProviderIsRefusedByName() {
        #expect(throws: PostgresError.self) {
            try Collations.options(provider: "d", deterministic: true, lcCollate: nil, lcCtype: nil, locale: nil, rules: nil)
        }
    }

    /// PostgreSQL 16.0–16.3 lose rows in Merge Right Anti Join plans; the dump turns merge joins off on them only.
    @Test(arguments: [(150020, false), (160000, true), (160002, true), (160003, true), (160004, false), (160009, false),
                      (170000, false), (180006, false)])
    func mergeJoinsAreTurnedOffOnlyWhereTheyLoseRows(_ version: Int, _ affected: Bool) {
        #expect(PostgresDumper.hasMergeRightAntiJoinBug(serverVersion: version) == affected)
    }

    /// Thousands of objects (the 5,000-object database of issue #16) sort in O(n log n): the ready list was
    /// scanned in full for each object, which took 13 s of a 14 s dump of 5,500 collations, operators,
    /// conversions, casts and configurations.
    @Test func dependencyOrderScalesToThousandsOfObjects() {
        let count = 20_000
        let keys = (0..<count).map { "object \(String(count - $0).leftPadded(to: 6))" }
        // Every tenth object depends on the next one, so the heap is fed while it is drained.
        let edges = (0..<count).map { $0 % 10 == 0 && $0 + 1 < count ? [$0 + 1] : [] }
        // CPU time of this thread, not wall time: a loaded machine that leaves the thread waiting for a core adds
        // nothing, while the quadratic scan this guards against was all CPU.
        func cpuTime() -> Duration {
            var now = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
            return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
        }
        var order: [Int] = []
        let started = cpuTime()
        order = DependencyOrder.sort(keys: keys, edges: edges)
        let elapsed = cpuTime() - started
        #expect(order.count == count && Set(order).count == count)
        var position = [Int](repeating: 0, count: count)
        for (p, i) in order.enumerated() { position[i] = p }
        #expect(edges.enumerated().allSatisfy { node, deps in deps.allSatisfy { position[$0] < position[node] } })
        #expect(order.first == count - 1, "the smallest key first")
        #expect(elapsed < .seconds(5), "sorting \(count) objects took \(elapsed)")
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
