import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport

/// Procedural languages and transforms not made by an extension, once refused by name, dumped as pg_dump writes
/// them (dumpProcLang, dumpTransform) and restored on every server.
@Suite("Procedural languages and transforms on every server version")
struct LanguageTests {
    /// Two languages on plpgsql's C handlers (trusted with inline handler and validator, and plain), with an owner,
    /// a comment, grants and a function written in one; two transforms (both directions, and FROM SQL alone).
    static let sql = """
        DO $$ BEGIN CREATE ROLE vaultops_lang_user NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
        CREATE FUNCTION my_handler() RETURNS language_handler AS 'plpgsql', 'plpgsql_call_handler' LANGUAGE c;
        CREATE FUNCTION my_inline(internal) RETURNS void AS 'plpgsql', 'plpgsql_inline_handler' LANGUAGE c;
        CREATE FUNCTION my_validator(oid) RETURNS void AS 'plpgsql', 'plpgsql_validator' LANGUAGE c;
        CREATE TRUSTED LANGUAGE "My PL" HANDLER my_handler INLINE my_inline VALIDATOR my_validator;
        CREATE LANGUAGE plain_pl HANDLER my_handler;
        COMMENT ON LANGUAGE "My PL" IS 'plpgsql again';
        ALTER LANGUAGE "My PL" OWNER TO vaultops_lang_user;
        REVOKE USAGE ON LANGUAGE "My PL" FROM PUBLIC;
        GRANT USAGE ON LANGUAGE "My PL" TO vaultops_lang_user WITH GRANT OPTION;
        CREATE FUNCTION in_my_pl() RETURNS integer LANGUAGE "My PL" AS 'BEGIN RETURN 1; END';
        CREATE FUNCTION from_sql(internal) RETURNS internal LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
        CREATE FUNCTION to_sql(internal) RETURNS int4 LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
        CREATE TRANSFORM FOR int4 LANGUAGE plain_pl (FROM SQL WITH FUNCTION from_sql(internal), TO SQL WITH FUNCTION to_sql(internal));
        CREATE TRANSFORM FOR text LANGUAGE "My PL" (FROM SQL WITH FUNCTION from_sql(internal));
        COMMENT ON TRANSFORM FOR int4 LANGUAGE plain_pl IS 'ints';
        """

    @Test(arguments: PostgresServers.all)
    func languagesAndTransformsRoundTrip(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip(Self.sql, on: server)
        for line in [
            "CREATE TRUSTED PROCEDURAL LANGUAGE \"My PL\" HANDLER public.my_handler INLINE public.my_inline VALIDATOR public.my_validator;",
            "CREATE PROCEDURAL LANGUAGE plain_pl HANDLER public.my_handler;",
            "ALTER PROCEDURAL LANGUAGE \"My PL\" OWNER TO vaultops_lang_user;",
            "COMMENT ON LANGUAGE \"My PL\" IS 'plpgsql again';",
            "REVOKE ALL ON LANGUAGE \"My PL\" FROM PUBLIC;",
            "CREATE TRANSFORM FOR integer LANGUAGE plain_pl (FROM SQL WITH FUNCTION public.from_sql(internal), "
                + "TO SQL WITH FUNCTION public.to_sql(internal));",
            "CREATE TRANSFORM FOR text LANGUAGE \"My PL\" (FROM SQL WITH FUNCTION public.from_sql(internal));",
            "COMMENT ON TRANSFORM FOR integer LANGUAGE plain_pl IS 'ints';",
        ] {
            #expect(script.contains(line), "\(server): the dump lacks \(line)")
        }
        let language = try #require(script.range(of: "CREATE TRUSTED PROCEDURAL LANGUAGE"))
        let function = try #require(script.range(of: "FUNCTION public.in_my_pl()"))
        #expect(language.lowerBound < function.lowerBound, "a function comes after its language")
    }
}
