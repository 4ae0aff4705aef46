import Foundation
import Testing
import TestSupport

/// The second-cluster harness that whole-server tests restore into.
@Suite struct TemporaryClusterTests {
    @Test(arguments: PostgresServers.all)
    func startsEmptyAndStops(_ server: PostgresServer) throws {
        let cluster = try TemporaryCluster(like: server)
        #expect(cluster.server.major == server.major)
        #expect(try cluster.server.adminURL() != server.adminURL())
        // Empty: no role besides the bootstrap superuser and the built-in pg_ ones, and only the initdb databases.
        #expect(try cluster.server.psql("SELECT string_agg(rolname, ',') FROM pg_roles WHERE rolname !~ '^pg_'") == "vaultops")
        #expect(try cluster.server.psql("SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database")
                == "postgres,template0,template1")
        let version = try cluster.server.psql("SHOW server_version_num")
        #expect(Int(version).map { $0 / 10000 } == server.major)
        cluster.stop()
        #expect(!FileManager.default.fileExists(atPath: cluster.folder))
        #expect(throws: (any Error).self) { try cluster.server.psql("SELECT 1") }
    }
}
