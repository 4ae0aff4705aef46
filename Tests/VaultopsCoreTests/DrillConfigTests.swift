import Foundation
import Testing
@testable import VaultopsCore

@Suite("Config: drill")
struct DrillConfigTests {
    static func parse(_ source: String) throws(ConfigError) -> Config {
        try ConfigLoader.parse(yaml: "backup_dir: /b\nsources:\n" + source, file: "v.yml", baseDirectory: URL(fileURLWithPath: "/"))
    }

    // A password no other test's text contains: parsing registers it process-wide, and the redactor then
    // hides it in every log line of the test process (a password "pw" hid the "pwd" other tests look for).
    @Test func drillTargetsParse() throws {
        let config = try Self.parse("""
              - name: db
                postgres: postgres://app:drill-pw-7c1e@db.internal/app
                drill: postgres://app:drill-pw-7c1e@127.0.0.1:5432/app_drill
              - name: mms
                sqlite: /a.db
                drill: true
              - name: up
                files: [/srv/up]
                drill: false
            """)
        #expect(config.sources[0].drill == .postgres(connection: "postgres://app:drill-pw-7c1e@127.0.0.1:5432/app_drill"))
        #expect(config.sources[1].drill == .temporaryFolder)
        #expect(config.sources[2].drill == nil)
    }

    @Test("refused: the source's own database (URI or keyword form), no database named, true for postgres, a URL for SQLite",
          arguments: [
              ("  - postgres: postgres://app@db/app\n    drill: postgres://app@other-host/app\n", "the source's own database"),
              ("  - postgres: host=db dbname='app' user=app\n    drill: postgres://x@db/app?sslmode=require\n", "the source's own database"),
              ("  - postgres: postgres://app@db\n    drill: dbname=app\n", "the source's own database"),
              ("  - postgres: postgres://app@db/app\n    drill: postgres://app@db\n", "must name its scratch database"),
              ("  - postgres: postgres://app@db/app\n    drill: true\n", "names the scratch database"),
              ("  - sqlite: /a.db\n    drill: postgres://x@db/scratch\n", "should be true or false"),
          ])
    func refused(source: String, message: String) {
        let error = #expect(throws: ConfigError.self) { try Self.parse(source) }
        #expect(error?.line == 4)
        #expect(error.map { "\($0)" }?.contains(message) == true, "\(String(describing: error))")
        #expect(error.map { "\($0)" }?.contains("sources[0].drill") == true)
    }
}
