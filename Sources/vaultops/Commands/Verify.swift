import ArgumentParser
import BackupJobs
import Foundation

/// `vaultops verify ARTIFACT...`: read every artifact end to end and compare it with its manifest.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check artifacts: full gzip read (CRC-32, length), SHA-256 and size against the manifest.",
        discussion: "Exit status 3 when any artifact fails. --deep also integrity-checks SQLite snapshots and lists tar archives."
    )

    @Argument(help: "Artifacts to check.")
    var artifacts: [String]

    @Flag(help: "Also check the content: SQLite integrity_check and row counts, tar listing, dumps restored into a scratch database.")
    var deep = false

    @Option(help: "PostgreSQL server for --deep on dumps: a scratch database is created there and dropped (default: $DATABASE_URL).")
    var server: String?

    func validate() throws {
        guard !artifacts.isEmpty else { throw ValidationError("name at least one artifact to verify") }
    }

    func run() throws {
        var failed = 0
        for path in artifacts {
            let report = Verifier.verify(URL(fileURLWithPath: path), deep: deep,
                                         serverURL: server ?? ProcessInfo.processInfo.environment["DATABASE_URL"])
            if report.ok {
                print("ok     \(path): \(report.checks.joined(separator: "; "))")
            } else {
                failed += 1
                print("FAILED \(path): \(report.problems.joined(separator: "; "))")
            }
        }
        if failed > 0 {
            printError("vaultops: \(failed) of \(artifacts.count) artifacts failed verification")
            throw CommandExit(code: .verificationFailed)
        }
    }
}
