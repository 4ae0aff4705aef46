import Archive
@testable import Artifacts
import Foundation
import PostgresDump
import Testing
import TestSupport

/// A sink that keeps what it is given.
private final class Collect: ByteSink {
    var bytes: [UInt8] = []
    func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes.append(contentsOf: bytes) }
}

@Suite("--engine pg_dump: choosing the program, its arguments, the \\restrict filter")
struct PgDumpEngineTests {
    @Test("pg_dump --version is read", arguments: [
        ("pg_dump (PostgreSQL) 17.2 (Debian 17.2-1.pgdg120+1)\n", 17, "17.2"),
        ("pg_dump (PostgreSQL) 15.14\n", 15, "15.14"),
        ("pg_dump (PostgreSQL) 18beta1\n", 18, "18beta1"),
        ("pg_dump (PostgreSQL) 13.0", 13, "13.0"),
    ])
    func versions(output: String, major: Int, version: String) {
        let parsed = PgDumpProgram.parseVersion(output)
        #expect(parsed?.major == major && parsed?.version == version)
    }

    @Test("output that is not pg_dump's is refused", arguments: ["", "psql 15", "pg_dump (PostgreSQL) beta", "bash: command not found"])
    func notVersions(output: String) {
        #expect(PgDumpProgram.parseVersion(output) == nil)
    }

    static let p15 = PgDumpProgram(path: "/usr/lib/postgresql/15/bin/pg_dump", major: 15, version: "15.14")
    static let p17 = PgDumpProgram(path: "/usr/lib/postgresql/17/bin/pg_dump", major: 17, version: "17.6")
    static let p18 = PgDumpProgram(path: "/opt/pg18/bin/pg_dump", major: 18, version: "18.1")

    @Test("the same major wins, else the oldest newer one", arguments: [
        ([p15, p17, p18], 17, p17),
        ([p18, p15], 15, p15),
        ([p18, p17], 16, p17),
        ([p18], 13, p18),
    ])
    func choice(programs: [PgDumpProgram], server: Int, expected: PgDumpProgram) throws {
        #expect(try PgDumpProgram.choose(from: programs, serverMajor: server, serverVersion: "\(server).1") == expected)
    }

    @Test("an older pg_dump (or none) is refused, naming what was found and what to install", arguments: [
        ([p15], "only pg_dump 15.14 (/usr/lib/postgresql/15/bin/pg_dump) was found"),
        ([PgDumpProgram](), "no pg_dump was found"),
    ])
    func olderRefused(programs: [PgDumpProgram], found: String) {
        let error = #expect(throws: ArtifactError.self) {
            try PgDumpProgram.choose(from: programs, serverMajor: 17, serverVersion: "17.2")
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("PostgreSQL 17.2") && text.contains(found) && text.contains("postgresql-client-17"), "\(text)")
    }

    @Test("the password goes to PGPASSWORD, never to the arguments; every other option reaches pg_dump", arguments: [
        "postgresql://app:s3cr%27et@db.internal:6543/shop?sslmode=require&application_name=x",
        "host=db.internal port=6543 dbname=shop user=app password='s3cr\\'et' sslmode=require application_name=x",
    ])
    func invocation(conninfo: String) throws {
        let call = try PgDumpInvocation.make(conninfo: conninfo, options: DumpOptions(lockTimeout: "45s", includeOwners: false))
        #expect(call.environment == ["PGPASSWORD": "s3cr'et"])
        #expect(!call.arguments.joined(separator: " ").contains("s3cr"))
        #expect(call.arguments.contains("--no-owner") && !call.arguments.contains("--no-privileges"))
        #expect(call.arguments.contains("--lock-wait-timeout=45s") && call.arguments.contains("--format=plain"))
        let dbname = try #require(call.arguments.last)
        #expect(dbname == "application_name='x' dbname='shop' host='db.internal' port='6543' sslmode='require' user='app'")
    }

    @Test("keyword values are quoted as libpq reads them", arguments: [
        ("plain", "'plain'"), ("it's", "'it\\'s'"), ("back\\slash", "'back\\\\slash'"), ("two words", "'two words'"),
    ])
    func quoting(value: String, expected: String) {
        #expect(PgDumpInvocation.quoted(value) == expected)
    }

    static let script = """
        --
        -- PostgreSQL database dump
        --

        \\restrict AbC123xyz

        -- Dumped from database version 17.6
        SET statement_timeout = 0;
        COPY public.t (a, b) FROM stdin;
        \\N\tfirst column null
        \\unrestrict SomeOtherKey
        \\restrict AbC123xyz
        x\ty
        \\.

        --
        -- PostgreSQL database dump complete
        --

        \\unrestrict AbC123xyz

        """

    static let expected = script.replacingOccurrences(of: "\n\\restrict AbC123xyz\n\n-- Dumped", with: "\n\n-- Dumped")
        .replacingOccurrences(of: "\n\\unrestrict AbC123xyz\n", with: "\n")

    @Test("the header's \\restrict and its own \\unrestrict go; data lines that look alike stay, whatever the chunking",
          arguments: [1, 2, 3, 7, 16, 64, 100_000])
    func restrictFilter(chunk: Int) throws {
        let sink = Collect()
        let filter = RestrictLineFilter(sink)
        let bytes = Array(Self.script.utf8)
        var i = 0
        while i < bytes.count {
            let end = min(i + chunk, bytes.count)
            try bytes[i..<end].withUnsafeBytes { try filter.write($0) }
            i = end
        }
        try filter.finish()
        let out = String(decoding: sink.bytes, as: UTF8.self)
        #expect(out == Self.expected)
        #expect(!out.contains("\\unrestrict AbC123xyz") && out.contains("\\unrestrict SomeOtherKey"))
        #expect(out.contains("\\N\tfirst column null\n\\unrestrict SomeOtherKey\n\\restrict AbC123xyz\nx\ty\n"))
    }

    @Test("a script without \\restrict (pg_dump before 17.6) passes byte for byte")
    func olderScriptUnchanged() throws {
        let text = "--\n-- PostgreSQL database dump\n--\nSET x = 1;\n\\connect other\n-- PostgreSQL database dump complete\n"
        let sink = Collect()
        let filter = RestrictLineFilter(sink)
        try Array(text.utf8).withUnsafeBytes { try filter.write($0) }
        try filter.finish()
        #expect(String(decoding: sink.bytes, as: UTF8.self) == text)
    }
}
