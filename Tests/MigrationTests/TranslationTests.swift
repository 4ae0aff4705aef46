import Foundation
@testable import Migration
import Testing

@Suite("Type mapping, defaults and expressions (pure)")
struct TranslationTests {
    @Test(arguments: [
        ("INTEGER", false, "bigint", ValueKind.integer),
        ("INTEGER", true, "bigint", .integer),
        ("TINYINT", false, "bigint", .integer),
        ("BIGINT UNSIGNED", false, "bigint", .integer),
        ("REAL", false, "double precision", .real),
        ("DOUBLE PRECISION", false, "double precision", .real),
        ("FLOAT", false, "double precision", .real),
        ("TEXT", false, "text", .text),
        ("CLOB", false, "text", .text),
        ("VARCHAR(40)", false, "varchar(40)", .text),
        ("NVARCHAR(10)", false, "varchar(10)", .text),
        ("CHARACTER(20)", false, "varchar(20)", .text),
        ("BLOB", false, "bytea", .blob),
        ("", false, "text", .text),
        ("NUMERIC", false, "numeric", .numeric),
        ("DECIMAL(10,2)", false, "numeric(10,2)", .numeric),
        ("DECIMAL(10, 2)", false, "numeric(10,2)", .numeric),
        ("MONEY", false, "numeric", .numeric),
        ("BOOLEAN", false, "boolean", .boolean),
        ("bool", false, "boolean", .boolean),
        ("DATE", false, "date", .date),
        ("DATETIME", false, "timestamp", .timestamp),
        ("TIMESTAMP", false, "timestamp", .timestamp),
        ("POINT", false, "bigint", .integer),  // SQLite's rule 1: contains INT
    ])
    func declaredTypes(_ declared: String, _ alias: Bool, _ postgres: String, _ kind: ValueKind) {
        let mapping = mapDeclaredType(declared, isRowidAlias: alias)
        #expect(mapping.postgresType == postgres)
        #expect(mapping.kind == kind)
    }

    @Test func temporalColumnsFallBackWhenAValueDoesNotParse() {
        var profile = ColumnProfile()
        profile.texts = 3
        profile.temporal = 3
        #expect(resolveType(mapDeclaredType("DATE"), profile: profile) == ResolvedType(postgresType: "date"))
        profile.temporal = 2
        let text = resolveType(mapDeclaredType("DATE"), profile: profile)
        #expect(text.postgresType == "text")
        #expect(text.warning?.contains("1 of 3") == true)
        var unix = ColumnProfile()
        unix.integers = 5
        #expect(resolveType(mapDeclaredType("DATETIME"), profile: unix).postgresType == "bigint")
        var long = ColumnProfile()
        long.texts = 1
        long.maxCharacters = 41
        #expect(resolveType(mapDeclaredType("VARCHAR(40)"), profile: long).postgresType == "text")
        long.maxCharacters = 40
        #expect(resolveType(mapDeclaredType("VARCHAR(40)"), profile: long).postgresType == "varchar(40)")
    }

    @Test(arguments: [
        ("CURRENT_TIMESTAMP", "timestamp", ValueKind.timestamp, "(now() AT TIME ZONE 'UTC')"),
        ("(datetime('now'))", "timestamp", .timestamp, "(now() AT TIME ZONE 'UTC')"),
        ("datetime('now')", "text", .text, "to_char((now() AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:MI:SS')"),
        ("CURRENT_DATE", "date", .date, "((now() AT TIME ZONE 'UTC'))::date"),
        ("0", "boolean", .boolean, "false"),
        ("1", "boolean", .boolean, "true"),
        ("-5", "bigint", .integer, "-5"),
        ("3.5", "double precision", .real, "3.5"),
        ("'it''s'", "text", .text, "'it''s'"),
        ("''", "text", .text, "''"),
        ("0", "text", .text, "'0'"),
        ("NULL", "bigint", .integer, "NULL"),
        ("X'CAFE'", "bytea", .blob, "'\\xcafe'::bytea"),
        ("(strftime('%s','now'))", "bigint", .integer, "(extract(epoch FROM now())::bigint)"),
    ])
    func defaults(_ sqlite: String, _ type: String, _ kind: ValueKind, _ expected: String) throws {
        #expect(try translateDefault(sqlite, postgresType: type, kind: kind).get() == expected)
    }

    @Test func untranslatableDefaultsAreReported() {
        #expect(throws: TranslationProblem.self) { try translateDefault("random()", postgresType: "bigint", kind: .integer).get() }
        #expect(throws: TranslationProblem.self) { try translateDefault("CURRENT_TIMESTAMP", postgresType: "bigint", kind: .integer).get() }
    }

    @Test func expressionsQuoteColumnsAndRejectSQLiteOnlyFunctions() throws {
        let translator = ExpressionTranslator(columns: ["qty": "Qty", "name": "name"], kinds: ["Qty": .integer])
        #expect(try translator.translate(tokenizeSQL("qty >= 0 AND length(NAME) == 3")).get() == "\"Qty\" >= 0 AND length(\"name\") = 3")
        #expect(try translator.translate(tokenizeSQL("CAST(qty AS INTEGER) <> 0")).get() == "CAST(\"Qty\" AS bigint) <> 0")
        #expect(throws: TranslationProblem.self) { try translator.translate(tokenizeSQL("name GLOB 'a*'")).get() }
        #expect(throws: TranslationProblem.self) { try translator.translate(tokenizeSQL("typeof(qty) = 'integer'")).get() }
    }

    @Test func indexCollationsTranslateOnlyToKnownCollations() throws {
        let plain = ExpressionTranslator(columns: ["name": "name"])
        #expect(throws: TranslationProblem.self) { try plain.translate(tokenizeSQL("name COLLATE NOCASE")).get() }
        let nocase = ExpressionTranslator(columns: ["name": "name"], nocaseCollation: "\"s\".\"nocase\"")
        #expect(try nocase.translate(tokenizeSQL("name COLLATE NOCASE DESC")).get() == "\"name\" COLLATE \"s\".\"nocase\" DESC")
        #expect(try nocase.translate(tokenizeSQL("name COLLATE BINARY")).get() == "\"name\"")
    }

    @Test func createTableDetails() {
        let details = parseCreateTable("""
            CREATE TABLE "t x" (id INTEGER PRIMARY KEY AUTOINCREMENT, [name] TEXT COLLATE NOCASE CHECK (length(name) > 0),
              total REAL GENERATED ALWAYS AS (id * 2) STORED, d TEXT DEFAULT (datetime('now')),
              CONSTRAINT c CHECK (id > 0)) WITHOUT ROWID
            """)
        #expect(details.autoincrement)
        #expect(details.withoutRowid)
        #expect(details.collations == ["name": "NOCASE"])
        #expect(details.checks.count == 2)
        #expect(details.generated["total"] == tokenizeSQL("id * 2"))
    }

    @Test(arguments: [
        ("12.50", "125e-1"), ("12.5", "125e-1"), ("1e-05", "1e-5"), ("0.00001", "1e-5"), ("-0.50", "-5e-1"),
        ("100", "1e2"), ("1e+20", "1e20"), ("100000000000000000000", "1e20"), ("0.000", "0"), ("5.0", "5e0"),
    ])
    func decimalCanonicalForm(_ text: String, _ canonical: String) {
        #expect(ValueCodec.canonicalDecimal(text) == canonical)
    }

    @Test(arguments: [
        ("2024-02-29 12:30", "2024-02-29 12:30:00"), ("2024-02-29T12:30:05", "2024-02-29 12:30:05"),
        ("2024-01-01 00:00:00.500", "2024-01-01 00:00:00.5"), ("2024-01-01 00:00:00.000", "2024-01-01 00:00:00"),
    ])
    func timestampsNormalizeAsPostgreSQLPrintsThem(_ text: String, _ normalized: String) {
        #expect(ValueCodec.normalizedTimestamp(Data(text.utf8)) == Array(normalized.utf8))
    }

    @Test(arguments: ["2023-02-29 00:00:00", "2024-13-01 00:00", "2024-01-01 24:00", "2024-01-01Z", "yesterday",
                      "2024-01-01 00:00:60", "2024-01-01 00:00:00.1234567", "2024-01-01 00:00:00+02"])
    func notTimestamps(_ text: String) {
        #expect(ValueCodec.normalizedTimestamp(Data(text.utf8)) == nil)
    }

    @Test(arguments: [0.1, 1.0 / 3.0, 1.7976931348623157e308, Double.leastNonzeroMagnitude, -0.0, 123456789.12345679, 2.5e-7, .infinity, -.infinity])
    func realsAreWrittenExactly(_ d: Double) {
        var out: [UInt8] = []
        ValueCodec.appendReal17(d, to: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(Double(text)?.bitPattern == d.bitPattern, "\(text)")
        #expect(text.filter(\.isNumber).count <= 17 + 3)  // ≤ 17 significant digits plus exponent digits
    }

    @Test(arguments: [
        (SourceValue.text(Data("abc".utf8)), ValueKind.integer, "text 'abc' is not an integer"),
        (.text(Data("99999999999999999999".utf8)), .integer, "text '99999999999999999999' is past the bigint range"),
        (.text(Data([0x61, 0x00, 0x62])), .text, "text contains a NUL byte at offset 1 (PostgreSQL text cannot hold it)"),
        (.text(Data([0x61, 0xFF])), .text, "text is not valid UTF-8"),
        (.real(1e20), .integer, "real 1e+20 is past the bigint range"),
        (.real(2.5), .integer, "real 2.5 is not an integer"),
        (.integer(2), .boolean, "integer 2 is not a boolean (0 or 1)"),
        (.integer(9007199254740993), .real, "integer 9007199254740993 has no exact double precision value"),
    ])
    func valuesThatCannotBeLoaded(_ value: SourceValue, _ kind: ValueKind, _ reason: String) {
        var out: [UInt8] = []
        var canonical: [UInt8] = []
        var profile = ColumnProfile()
        guard case .failure(let error) = ValueCodec.transfer(value, kind: kind, into: &out, canonical: &canonical, profile: &profile) else {
            Issue.record("expected a row error")
            return
        }
        #expect(error.reason == reason)
    }

    @Test(arguments: [
        (SourceValue.text(Data("42".utf8)), ValueKind.integer, "42"),
        (.integer(1), .boolean, "t"),
        (.text(Data("No".utf8)), .boolean, "f"),
        (.blob(Data([0x00, 0xAB])), .blob, "\\x00ab"),
        (.text(Data([0x61, 0x00])), .blob, "\\x6100"),
        (.real(12.99), .numeric, "12.99"),
        (.integer(-9223372036854775808), .integer, "-9223372036854775808"),
        (.real(.infinity), .real, "Infinity"),
    ])
    func conversions(_ value: SourceValue, _ kind: ValueKind, _ text: String) {
        var out: [UInt8] = []
        var canonical: [UInt8] = []
        var profile = ColumnProfile()
        guard case .success(true) = ValueCodec.transfer(value, kind: kind, into: &out, canonical: &canonical, profile: &profile) else {
            Issue.record("expected a value")
            return
        }
        #expect(String(decoding: out, as: UTF8.self) == text)
    }
}
