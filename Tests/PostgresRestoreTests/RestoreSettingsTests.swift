import Archive
import Foundation
import Testing
import TestSupport
@testable import PostgresRestore

@Suite("Session settings of the restore")
struct RestoreSettingsTests {
    static let script = "CREATE TABLE seen AS SELECT current_setting('maintenance_work_mem') AS value;\n"

    @Test("maintenanceWorkMem applies to the restore's session; nil keeps the server's; the script's own SET wins",
          arguments: [("256MB", "", "256MB"), ("1GB", "", "1GB"), (nil, "", nil), ("256MB", "SET maintenance_work_mem = '32MB';\n", "32MB")])
    func maintenanceWorkMem(setting: String?, prefix: String, expected: String?) throws {
        let database = try PostgresTestServer.freshDatabase("mwm")
        let input = ScriptInput(name: "settings.sql") { BytesSource(prefix + Self.script) }
        _ = try ScriptRestorer(targetURL: try PostgresTestServer.url(database: database),
                                 options: RestoreOptions(maintenanceWorkMem: setting)).restore(input)
        let serverDefault = try PostgresTestServer.psql("SHOW maintenance_work_mem", database: database)
        #expect(try PostgresTestServer.psql("SELECT value FROM seen", database: database) == (expected ?? serverDefault))
    }

    @Test("a value the server rejects fails before anything runs, naming the setting")
    func badValue() throws {
        let database = try PostgresTestServer.freshDatabase("mwmbad")
        let input = ScriptInput(name: "settings.sql") { BytesSource(Self.script) }
        #expect {
            _ = try ScriptRestorer(targetURL: try PostgresTestServer.url(database: database),
                                     options: RestoreOptions(maintenanceWorkMem: "lots'; DROP TABLE x; --")).restore(input)
        } throws: { error in
            (error as? PostgresRestoreError)?.kind == .target && "\(error)".contains("maintenance_work_mem")
        }
        #expect(try Fixture.userObjects(database) == 0)
    }
}
