import Testing
@testable import VaultopsCore

@Suite("ExitCode")
struct ExitCodeTests {
    struct Coded: Error, ExitCodeProviding { var exitCode: ExitCode }
    struct Plain: Error {}

    @Test func valuesMatchTheSpec() {
        #expect(ExitCode.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5, 6, 7, 8])
        #expect(ExitCode.success.rawValue == 0)
        #expect(ExitCode.usage.rawValue == 2)
        #expect(ExitCode.verificationFailed.rawValue == 3)
        #expect(ExitCode.locked.rawValue == 4)
        #expect(ExitCode.partial.rawValue == 5)
        #expect(ExitCode.deployAborted.rawValue == 6)
        #expect(ExitCode.rolledBack.rawValue == 7)
        #expect(ExitCode.rollbackFailed.rawValue == 8)
    }

    @Test(arguments: ExitCode.allCases)
    func providedCodeWins(_ code: ExitCode) {
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
