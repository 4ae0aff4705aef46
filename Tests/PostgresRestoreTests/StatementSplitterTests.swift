import Archive
import Testing
@testable import PostgresRestore

/// What the reader produced, flattened for comparison.
enum Piece: Equatable, CustomStringConvertible {
    case sql(String, Int)
    case copy(String, Int, data: String)
    case meta(String, Int)

    var description: String {
        switch self {
        case .sql(let s, let l): return "sql@\(l): \(s)"
        case .copy(let s, let l, let d): return "copy@\(l): \(s) data=\(d.debugDescription)"
        case .meta(let s, let l): return "meta@\(l): \(s)"
        }
    }
}

/// Splits `script` fed `chunk` bytes at a time through a buffer of `buffer` bytes.
func split(_ script: String, chunk: Int = .max, buffer: Int = 1 << 20) throws -> [Piece] {
    let reader = ScriptReader(source: BytesSource(script, chunkSize: chunk), name: "test.sql", bufferSize: buffer)
    var pieces: [Piece] = []
    while let item = try reader.next() {
        switch item {
        case .statement(let s, let line): pieces.append(.sql(s, line))
        case .metaCommand(let s, let line): pieces.append(.meta(s, line))
        case .copy(let s, let line):
            var data: [UInt8] = []
            try reader.readCopyData { data.append(contentsOf: $0) }
            pieces.append(.copy(s, line, data: String(decoding: data, as: UTF8.self)))
        }
    }
    return pieces
}

/// Chunk and buffer sizes that put every byte boundary somewhere awkward.
let feeds: [(chunk: Int, buffer: Int)] = [(.max, 1 << 20), (1, 16), (2, 16), (3, 17), (7, 64), (64, 32)]

@Suite("Statement splitting")
struct StatementSplitterTests {
    static let cases: [(name: String, script: String, expected: [Piece])] = [
        ("two statements", "SELECT 1;\nSELECT 2;\n", [.sql("SELECT 1;", 1), .sql("SELECT 2;", 2)]),
        ("no trailing newline", "SELECT 1;", [.sql("SELECT 1;", 1)]),
        ("empty statements dropped", ";;\n  ;\nSELECT 1;", [.sql("SELECT 1;", 3)]),
        ("semicolon in single quotes", "SELECT 'a;b';", [.sql("SELECT 'a;b';", 1)]),
        ("doubled quote", "SELECT 'it''s;';\nSELECT 2;", [.sql("SELECT 'it''s;';", 1), .sql("SELECT 2;", 2)]),
        ("backslash in standard string is literal", "SELECT 'a\\';\nSELECT 2;", [.sql("SELECT 'a\\';", 1), .sql("SELECT 2;", 2)]),
        ("E string backslash quote", "SELECT E'a\\';b';", [.sql("SELECT E'a\\';b';", 1)]),
        ("e string lower case and doubled quote", "SELECT e'x'';\\\\';\nSELECT 3;", [.sql("SELECT e'x'';\\\\';", 1), .sql("SELECT 3;", 2)]),
        ("E after identifier is not a prefix", "SELECT name' ;'; SELECT 1;", [.sql("SELECT name' ;';", 1), .sql("SELECT 1;", 1)]),
        ("double-quoted identifier", "SELECT 1 AS \"a;\"\"b\";", [.sql("SELECT 1 AS \"a;\"\"b\";", 1)]),
        ("dollar quote", "SELECT $$a;b$$;", [.sql("SELECT $$a;b$$;", 1)]),
        ("tagged dollar quote with inner $$", "CREATE FUNCTION f() RETURNS int AS $body$ SELECT $$;$$; $ $b $body $body$ LANGUAGE sql;\nSELECT 1;",
         [.sql("CREATE FUNCTION f() RETURNS int AS $body$ SELECT $$;$$; $ $b $body $body$ LANGUAGE sql;", 1), .sql("SELECT 1;", 2)]),
        ("dollar close after false start", "SELECT $a$ x $$a$ ;", [.sql("SELECT $a$ x $$a$ ;", 1)]),
        ("parameter is not a dollar quote", "PREPARE p AS SELECT $1;\nSELECT 2;", [.sql("PREPARE p AS SELECT $1;", 1), .sql("SELECT 2;", 2)]),
        ("dollar inside identifier", "SELECT a$b$ FROM t;\nSELECT 2;", [.sql("SELECT a$b$ FROM t;", 1), .sql("SELECT 2;", 2)]),
        ("line comment", "SELECT 1 -- ; not the end\n;\n", [.sql("SELECT 1 -- ; not the end\n;", 1)]),
        ("leading comments trimmed", "--\n-- Name: t; Type: TABLE\n--\n\nCREATE TABLE t (a int);\n", [.sql("CREATE TABLE t (a int);", 5)]),
        ("nested block comment", "/* a /* b; */ c; */ SELECT /* ; */ 1;", [.sql("SELECT /* ; */ 1;", 1)]),
        ("minus and slash operators", "SELECT 4-1, 8/2;\nSELECT -1;", [.sql("SELECT 4-1, 8/2;", 1), .sql("SELECT -1;", 2)]),
        ("statement starting with an operator", "-1;", [.sql("-1;", 1)]),
        ("semicolon in parentheses", "CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b);\nSELECT 1;",
         [.sql("CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b);", 1), .sql("SELECT 1;", 2)]),
        ("begin atomic body", "CREATE FUNCTION public.f() RETURNS integer\n    LANGUAGE sql\n    BEGIN ATOMIC\n SELECT CASE WHEN true THEN 1 ELSE 2 END;\n SELECT 3;\nEND;\nSELECT 4;",
         [.sql("CREATE FUNCTION public.f() RETURNS integer\n    LANGUAGE sql\n    BEGIN ATOMIC\n SELECT CASE WHEN true THEN 1 ELSE 2 END;\n SELECT 3;\nEND;", 1), .sql("SELECT 4;", 7)]),
        ("begin atomic with or replace procedure", "create or replace procedure p() begin atomic insert into t values (1); end;\nselect 1;",
         [.sql("create or replace procedure p() begin atomic insert into t values (1); end;", 1), .sql("select 1;", 2)]),
        ("begin outside routine is a statement", "BEGIN;\nSELECT 1;\nCOMMIT;", [.sql("BEGIN;", 1), .sql("SELECT 1;", 2), .sql("COMMIT;", 3)]),
        ("meta-commands", "\\restrict abc\nSET a = 1;\n\\connect -reuse-previous=on \"dbname='x;y'\"\n\\unrestrict abc",
         [.meta("\\restrict abc", 1), .sql("SET a = 1;", 2), .meta("\\connect -reuse-previous=on \"dbname='x;y'\"", 3), .meta("\\unrestrict abc", 4)]),
        ("CRLF line endings", "SELECT 1;\r\nSELECT 2;\r\n", [.sql("SELECT 1;", 1), .sql("SELECT 2;", 2)]),
        ("copy block", "COPY public.t (a, b) FROM stdin;\n1\tx;y\n2\t\\\\.\n\\.\nSELECT 1;\n",
         [.copy("COPY public.t (a, b) FROM stdin;", 1, data: "1\tx;y\n2\t\\\\.\n"), .sql("SELECT 1;", 5)]),
        ("empty copy block", "COPY t FROM stdin;\n\\.\n", [.copy("COPY t FROM stdin;", 1, data: "")]),
        ("copy with CRLF terminator and final \\. without newline", "copy t from STDIN;\r\na\r\n\\.",
         [.copy("copy t from STDIN;", 1, data: "a\r\n")]),
        ("copy data that looks like SQL", "COPY t FROM stdin;\n'unclosed\n/* x\n$$\n\\.\nSELECT 2;",
         [.copy("COPY t FROM stdin;", 1, data: "'unclosed\n/* x\n$$\n"), .sql("SELECT 2;", 6)]),
        ("copy to stdout is a plain statement", "COPY t TO stdout;\nSELECT 1;", [.sql("COPY t TO stdout;", 1), .sql("SELECT 1;", 2)]),
        ("multibyte text", "SELECT '日本;語' AS \"列\";\nSELECT 'é';", [.sql("SELECT '日本;語' AS \"列\";", 1), .sql("SELECT 'é';", 2)]),
        ("standard_conforming_strings off makes backslashes escape", "SET standard_conforming_strings = off;\nSELECT 'a\\';b';\nSET standard_conforming_strings TO 'on';\nSELECT 'c\\';\n",
         [.sql("SET standard_conforming_strings = off;", 1), .sql("SELECT 'a\\';b';", 2), .sql("SET standard_conforming_strings TO 'on';", 3), .sql("SELECT 'c\\';", 4)]),
        ("trailing comment without newline", "SELECT 1;\n-- end", [.sql("SELECT 1;", 1)]),
    ]

    @Test("splits statements whatever the chunking", arguments: cases)
    func splits(_ c: (name: String, script: String, expected: [Piece])) throws {
        for feed in feeds {
            let pieces = try split(c.script, chunk: feed.chunk, buffer: feed.buffer)
            #expect(pieces == c.expected, "\(c.name), chunk \(feed.chunk), buffer \(feed.buffer)")
        }
    }

    static let truncated: [(name: String, script: String, open: String)] = [
        ("no semicolon", "SELECT 1;\nSELECT 2", "a statement without its closing semicolon"),
        ("open quote", "SELECT 'abc;", "a quoted string"),
        ("open E string", "SELECT E'abc\\'", "a quoted string"),
        ("open identifier", "SELECT \"abc;", "a quoted identifier"),
        ("open dollar quote", "SELECT $x$ abc; $y$;", "a $x$ dollar-quoted string"),
        ("open comment", "SELECT 1; /* /* */", "a /* */ comment"),
        ("open parenthesis", "SELECT (1;", "parentheses"),
        ("open function body", "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1;", "a BEGIN … END function body"),
        ("lone operator", "SELECT 1;\n-", "a statement without its closing semicolon"),
    ]

    @Test("a script that ends inside something is truncated", arguments: truncated)
    func truncatedScripts(_ c: (name: String, script: String, open: String)) throws {
        for feed in feeds {
            let error = #expect(throws: PostgresRestoreError.self) { try split(c.script, chunk: feed.chunk, buffer: feed.buffer) }
            #expect(error?.kind == .truncated, "\(c.name)")
            #expect(error?.message.contains(c.open) == true, "\(c.name): \(error?.message ?? "")")
        }
    }

    @Test("a script that ends inside COPY data is truncated and names the COPY's line")
    func truncatedCopy() throws {
        for feed in feeds {
            let error = #expect(throws: PostgresRestoreError.self) {
                try split("SELECT 1;\nCOPY t FROM stdin;\n1\n2\n", chunk: feed.chunk, buffer: feed.buffer)
            }
            #expect(error?.kind == .truncated)
            #expect(error?.line == 2)
        }
    }

    @Test("a meta-command inside an unfinished statement is refused with its line")
    func metaInsideStatement() throws {
        let error = #expect(throws: PostgresRestoreError.self) { try split("SELECT 1;\nSELECT\n\\connect x\n1;") }
        #expect(error?.kind == .unsupportedMetaCommand)
        #expect(error?.line == 3)
    }

    @Test("a statement that is not UTF-8 is refused with its line, not altered")
    func notUTF8() throws {
        let bytes = Array("SELECT 1;\nSELECT '".utf8) + [0xE9] + Array("';\n".utf8)
        let reader = ScriptReader(source: BytesSource(bytes), name: "latin1.sql")
        #expect(try reader.next() == .statement("SELECT 1;", line: 1))
        let error = #expect(throws: PostgresRestoreError.self) { try reader.next() }
        #expect(error?.kind == .invalidScript)
        #expect(error?.line == 2)
    }

    @Test("gzip bytes are refused instead of being sent as SQL")
    func gzipRefused() throws {
        let reader = ScriptReader(source: BytesSource([0x1F, 0x8B, 0x08, 0x00]), name: "x.sql.gz")
        #expect(throws: PostgresRestoreError.self) { try reader.next() }
    }

    @Test("a statement larger than the buffer grows it and stays whole")
    func largeStatement() throws {
        let big = "INSERT INTO t VALUES ('" + String(repeating: "x;", count: 5000) + "');"
        let pieces = try split(big + "\nSELECT 1;", chunk: 100, buffer: 64)
        #expect(pieces == [.sql(big, 1), .sql("SELECT 1;", 2)])
    }
}

@Suite("Offline script check")
struct ScriptCheckTests {
    static func input(_ text: String) -> ScriptInput {
        ScriptInput(name: "db.sql") { BytesSource(text, chunkSize: 5) }
    }

    static let header = "--\n-- PostgreSQL database dump (vaultops)\n--\n\nSET a = 1;\n"

    @Test("a complete vaultops script passes and is counted")
    func complete() throws {
        let check = try checkScript(Self.input(Self.header + "COPY t FROM stdin;\n1\n\\.\n\n-- vaultops dump complete\n"))
        // The COPY data ("1\n") starts after the header and the 19 bytes of its statement line.
        let data = Int64(Self.header.utf8.count + 19)
        #expect(check == ScriptCheck(writer: .vaultops, statements: 2, copyBlocks: 1, bytes: Int64(Self.header.utf8.count + 51),
                                     copyData: [data..<(data + 2)]))

        let kept = try checkScript(Self.input(Self.header + "COPY t FROM stdin;\n1\n\\.\n\n-- vaultops dump complete\n"), keepingItemsUpTo: 1 << 20)
        #expect(kept.items == [.statement("SET a = 1;", line: 5), .copy("COPY t FROM stdin;", line: 6)])
        let over = try checkScript(Self.input(Self.header + "COPY t FROM stdin;\n1\n\\.\n\n-- vaultops dump complete\n"), keepingItemsUpTo: 20)
        #expect(over.items == nil)
    }

    static let bad: [(name: String, text: String, kind: PostgresRestoreError.Kind)] = [
        ("no marker", header + "COPY t FROM stdin;\n1\n\\.\n", .truncated),
        ("cut in COPY", header + "COPY t FROM stdin;\n1\n", .truncated),
        ("cut in statement", header + "CREATE TABLE t (a int", .truncated),
        ("other meta-command", header + "\\! rm -rf /\n-- vaultops dump complete\n", .unsupportedMetaCommand),
    ]

    @Test("an incomplete or unsupported script is refused", arguments: bad)
    func refused(_ c: (name: String, text: String, kind: PostgresRestoreError.Kind)) throws {
        let error = #expect(throws: PostgresRestoreError.self, "\(c.name)") { try checkScript(Self.input(c.text)) }
        #expect(error?.kind == c.kind, "\(c.name)")
    }
}
