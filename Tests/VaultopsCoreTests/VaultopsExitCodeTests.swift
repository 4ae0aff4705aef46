import Testing
@testable import VaultopsCore

@Suite("VaultopsExitCode")
struct ExitCodeTests {
    struct Coded: Error, ExitCodeProviding { var exitCode: VaultopsExitCode }
    struct Plain: Error {}

    @Test func valuesMatchTheSpec() {
        #expect(VaultopsExitCode.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(VaultopsExitCode.success.rawValue == 0)
        #expect(VaultopsExitCode.usage.rawValue == 2)
        #expect(VaultopsExitCode.verificationFailed.rawValue == 3)
        #expect(VaultopsExitCode.locked.rawValue == 4)
        #expect(VaultopsExitCode.partial.rawValue == 5)
        #expect(VaultopsExitCode.deployAborted.rawValue == 6)
        #expect(VaultopsExitCode.rolledBack.rawValue == 7)
        #expect(VaultopsExitCode.rollbackFailed.rawValue == 8)
        // #23: an archived OSS object being restored; the same command works later (or with --wait).
        #expect(VaultopsExitCode.restorePending.rawValue == 9)
    }

    @Test(arguments: VaultopsExitCode.allCases)
    func providedCodeWins(_ code: VaultopsExitCode) {
        #expect(exitCode(for: Coded(exitCode: code)) == code)
    }

    @Test func otherErrorsAreFailures() {
        #expect(exitCode(for: Plain()) == .failure)
        #expect(exitCode(for: CancellationError()) == .failure)
    }

    @Test func moduleErrorsMapToTheirCodes() {
        #expect(exitCode(for: ArtifactNameError(value: "a/b", reason: "x")) == .usage)
    }
}
