import Foundation

/// Another session (a `psql` process) that holds what `sql` locks, in an open transaction, until `release()`.
///
/// The lock is held for as long as the test needs it, not for a fixed time (a holder that sleeps N seconds lets go
/// early when the machine stalls), and `init` returns only once the server shows the statement done.
public final class PostgresLockHolder {
    let process = Process()
    let input = Pipe()
    /// The holder's `application_name`, to find its backend in `pg_stat_activity`.
    public let applicationName = "lockholder_\(UUID().uuidString.prefix(8).lowercased())"

    /// Runs `BEGIN; sql` in `url`'s database with the `psql` at `psql`; `admin` runs a query as a superuser and
    /// returns its output (`PostgresTestServer.psql` or a `PostgresServer`'s).
    public init(url: String, psql: String = "psql", sql: String, admin: (String) throws -> String) throws {
        let marker = "SELECT '\(applicationName) ready'"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1",
                             "-d", url + (url.contains("?") ? "&" : "?") + "application_name=\(applicationName)"]
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The pipe stays open: psql runs each statement as it arrives and then waits for more, in the transaction.
        input.fileHandleForWriting.write(Data("BEGIN;\n\(sql)\n\(marker);\n".utf8))
        // Ready once the marker ran after `sql`: the session is then idle in the transaction that holds the lock.
        // 120 s is only a backstop for a machine that stalls.
        let deadline = Date().addingTimeInterval(120)
        while try admin("""
            SELECT count(*) FROM pg_stat_activity
            WHERE application_name = '\(applicationName)' AND state = 'idle in transaction' AND query LIKE $q$\(marker)%$q$
            """) != "1" {
            guard process.isRunning, Date() < deadline else {
                release()
                throw TestSupportError("the lock holder never ran: \(sql)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Ends the session (psql reads end of input and quits), which releases the lock.
    public func release() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    deinit { release() }
}
