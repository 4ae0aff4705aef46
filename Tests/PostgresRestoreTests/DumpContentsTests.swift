import Archive
import Foundation
import Testing
@testable import PostgresRestore

/// The table of contents of a plain dump, found from its header comments.
@Suite("Dump contents")
struct DumpContentsTests {
    static let sample = try! String(contentsOf: Fixture.folder.appendingPathComponent("pg_dump-sample.sql"), encoding: .utf8)

    @Test("Header lines", arguments: [
        ("-- Name: orders; Type: TABLE; Schema: app; Owner: vaultops", DumpHeader(kind: "TABLE", name: "orders", schema: "app", owner: "vaultops")),
        ("-- Data for Name: orders; Type: TABLE DATA; Schema: app; Owner: vaultops", DumpHeader(kind: "TABLE DATA", name: "orders", schema: "app", owner: "vaultops")),
        ("-- Name: Table; With \"Quotes\"; Type: TABLE; Schema: Mixed Case; Owner: o", DumpHeader(kind: "TABLE", name: "Table; With \"Quotes\"", schema: "Mixed Case", owner: "o")),
        ("-- Name: SCHEMA app; Type: ACL; Schema: -; Owner: -", DumpHeader(kind: "ACL", name: "SCHEMA app", schema: nil, owner: nil)),
        ("-- Name: big; Type: TABLE; Schema: public; Owner: o; Tablespace: fast", DumpHeader(kind: "TABLE", name: "big", schema: "public", owner: "o")),
        ("-- Name: x; Type: SCHEMA; Schema: -", DumpHeader(kind: "SCHEMA", name: "x", schema: nil, owner: nil)),
    ])
    func header(line: String, expected: DumpHeader) {
        #expect(DumpHeader.parse(line) == expected)
    }

    @Test("Lines that are not headers", arguments: ["-- Name: x", "--", "-- Dumped by pg_dump version 17", "Name: x; Type: TABLE; Schema: a; Owner: b"])
    func notHeader(line: String) {
        #expect(DumpHeader.parse(line) == nil)
    }

    @Test("Each entry's range is its text, from the -- line before its header to the next one")
    func rangesMatchText() throws {
        let contents = try DumpContentsScanner.scan(BytesSource(Self.sample), name: "sample", keepText: true)
        let bytes = Array(Self.sample.utf8)
        #expect(contents.prelude.range.lowerBound == 0)
        var expectedStart = contents.prelude.range.upperBound
        for entry in contents.entries {
            #expect(entry.range.lowerBound == expectedStart)
            expectedStart = entry.range.upperBound
            let slice = String(decoding: bytes[Int(entry.range.lowerBound)..<Int(entry.range.upperBound)], as: UTF8.self)
            #expect(slice.hasPrefix("--\n-- "))
            if entry.isData { #expect(entry.text == nil) } else { #expect(entry.text == slice) }
        }
        let footer = try #require(contents.footer)
        #expect(footer.range.lowerBound == expectedStart && footer.range.upperBound == UInt64(bytes.count))
        #expect(footer.text?.contains("\\unrestrict") == true)
        #expect(contents.prelude.text?.contains("\\restrict partialsamplekey") == true)
    }

    @Test("The entries of a pg_dump script, in order")
    func entries() throws {
        let contents = try DumpContentsScanner.scan(BytesSource(Self.sample), name: "sample", keepText: false)
        let listed = contents.entries.map { "\($0.kind) \($0.qualifiedName)" }
        #expect(listed.prefix(5) == ["SCHEMA Mixed Case", "SCHEMA app", "DOMAIN app.positive", "TYPE app.status", "FUNCTION app.label(integer)"])
        #expect(listed.contains("TABLE DATA app.orders"))
        #expect(listed.contains("FK CONSTRAINT app.orders orders_customer_id_fkey"))
        #expect(listed.last == "MATERIALIZED VIEW DATA app.status_counts")
        #expect(contents.entries.filter(\.isData).count == 5)
    }

    @Test("Fed one byte or a few at a time, the scan finds the same", arguments: [1, 7, 4096])
    func chunked(size: Int) throws {
        let whole = try DumpContentsScanner.scan(BytesSource(Self.sample), name: "s", keepText: true)
        let pieces = try DumpContentsScanner.scan(BytesSource(Self.sample, chunkSize: size), name: "s", keepText: true)
        #expect(pieces == whole)
    }

    @Test("Header lines inside a function body, a string or COPY data start no entry")
    func headersInsideText() throws {
        let script = """
            SET x = 1;

            --
            -- Name: f(); Type: FUNCTION; Schema: public; Owner: o
            --

            CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$
            --
            -- Name: fake; Type: TABLE; Schema: public; Owner: o
            --
            SELECT 1 $$;

            --
            -- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: o
            --

            COPY public.t (a) FROM stdin;
            --
            -- Name: fake2; Type: TABLE; Schema: public; Owner: o
            \\.


            --
            -- Name: t_pkey; Type: INDEX; Schema: public; Owner: o
            --

            CREATE INDEX t_pkey ON public.t USING btree (a) WHERE a <> '
            -- Name: fake3; Type: TABLE; Schema: public; Owner: o
            ';

            """
        let contents = try DumpContentsScanner.scan(BytesSource(script), name: "s", keepText: true)
        #expect(contents.entries.map(\.name) == ["f()", "t", "t_pkey"])
        #expect(contents.footer == nil)
    }

    @Test("Scanning only the parts between table contents finds the same definitions")
    func jumpOverData() throws {
        let whole = try DumpContentsScanner.scan(BytesSource(Self.sample), name: "s", keepText: true)
        let bytes = Array(Self.sample.utf8)
        let scanner = DumpContentsScanner(name: "s", keepText: true)
        var position: UInt64 = 0
        for entry in whole.entries where entry.isData {
            if position > 0 { try scanner.jump(to: position) }
            try Array(bytes[Int(position)..<Int(entry.range.lowerBound)]).withUnsafeBytes { try scanner.consume($0) }
            position = entry.range.upperBound
        }
        try scanner.jump(to: position)
        try Array(bytes[Int(position)...]).withUnsafeBytes { try scanner.consume($0) }
        let partial = try scanner.finish()
        #expect(partial.entries == whole.entries.filter { !$0.isData })
        #expect(partial.prelude == whole.prelude)
        #expect(partial.footer == whole.footer)
    }

    @Test("A script that ends inside COPY data is reported")
    func truncated() {
        let script = "--\n-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: o\n--\n\nCOPY public.t (a) FROM stdin;\n1\n"
        #expect(throws: PostgresRestoreError.self) { try DumpContentsScanner.scan(BytesSource(script), name: "s", keepText: false) }
    }

    @Test("The indexing sink passes every byte on and finds the entries")
    func indexingSink() throws {
        final class Collect: ByteSink {
            var bytes: [UInt8] = []
            func write(_ b: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: b) }
        }
        let collect = Collect()
        let sink = DumpIndexingSink(collect, name: "s")
        try sink.write(string: Self.sample)
        #expect(collect.bytes == Array(Self.sample.utf8))
        let found = try #require(sink.finish())
        #expect(found == (try DumpContentsScanner.scan(BytesSource(Self.sample), name: "s", keepText: false)))
    }
}
