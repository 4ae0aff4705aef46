@testable import BackupJobs
import Testing
import VaultopsCore

@Suite("run exit status")
struct RunOutcomeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var backedUp: Int
        var failed: Int
        var other: Int
        var dryRun = false
        var expected: VaultopsExitCode
        var testDescription: String { label }
    }

    @Test("exit status from what was done", arguments: [
        Case(label: "everything done", backedUp: 3, failed: 0, other: 0, expected: .success),
        Case(label: "one source failed, two done", backedUp: 2, failed: 1, other: 0, expected: .partial),
        Case(label: "all sources failed", backedUp: 0, failed: 3, other: 0, expected: .failure),
        Case(label: "OSS down: all backed up locally, all uploads failed", backedUp: 3, failed: 3, other: 1, expected: .partial),
        Case(label: "sources fine, prune failed", backedUp: 3, failed: 0, other: 1, expected: .partial),
        Case(label: "dry run, all planned", backedUp: 0, failed: 0, other: 0, dryRun: true, expected: .success),
        Case(label: "dry run with a bad oss block", backedUp: 0, failed: 0, other: 1, dryRun: true, expected: .failure),
    ])
    func exitCode(_ c: Case) {
        #expect(RunOutcome.exitCode(sourcesBackedUp: c.backedUp, sourcesFailed: c.failed, otherProblems: c.other, dryRun: c.dryRun)
            == c.expected)
    }

    @Test("multi-line library messages become one line", arguments: [
        ("plain", "plain"),
        ("connection refused\n\tIs the server running?\n(host=db)", "connection refused Is the server running? (host=db)"),
        ("a\r\n\r\nb\n", "a b"),
    ])
    func oneLine(text: String, expected: String) {
        #expect(RunJob.oneLine(text) == expected)
    }
}
