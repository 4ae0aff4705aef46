import BackupJobs
import Testing

@Suite("run log levels")
struct RunLogLevelTests {
    @Test(arguments: [
        ("source uploads: mirror: upload uploads -> oss://b/m/: sent 2 (12 B), skipped 0, deleted 0, failed 0 in 0.1s", RunLogLevel.info),
        ("source uploads: mirror: upload uploads -> oss://b/m/: sent 1 (6 B), skipped 1, deleted 0, failed 2 in 0.1s", .warning),
        ("source uploads: mirror: upload uploads -> oss://b/m/: sent 1 (6 B), skipped 1, deleted 0, failed 0 in 0.1s, failed 10", .warning),
        ("source uploads: mirror: upload u -> oss://b/m/: sent 1, failed 05 in 1s", .warning),
        ("source mms: upload failed: timeout", .warning),
        ("oss: retry 2 of 5 after HTTP 503", .warning),
        ("cannot write the metrics file", .warning),
        ("oss: FAILED: OSS is not usable", .error),
        ("source mms: backed up, 2 MB", .info),
    ])
    func levels(line: String, expected: RunLogLevel) {
        #expect(RunLogLevel(line: line) == expected)
    }
}
