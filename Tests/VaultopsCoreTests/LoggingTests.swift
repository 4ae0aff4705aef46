import Foundation
import Logging
import Testing
@testable import VaultopsCore

/// Collects lines from a handler or a progress reporter.
final class LineCollector: @unchecked Sendable {
    // Safety: `lines` is only touched while holding `lock`.
    private let lock = NSLock()
    private var storage: [String] = []
    var lines: [String] { lock.withLock { storage } }
    func append(_ line: String) { lock.withLock { storage.append(line) } }
}

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    // Safety: `now` is only touched while holding `lock`.
    private let lock = NSLock()
    private var current = ContinuousClock.now
    var now: ContinuousClock.Instant { lock.withLock { current } }
    func advance(_ d: Duration) { lock.withLock { current += d } }
}

@Suite("Logging")
struct LoggingTests {
    static let date = Date(timeIntervalSince1970: 1_767_232_800)  // 2026-01-01T02:00:00Z

    struct FormatCase: Sendable, CustomTestStringConvertible {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
        var expected: String
        var testDescription: String { expected }
        init(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata, _ expected: String) {
            self.level = level
            self.message = message
            self.metadata = metadata
            self.expected = expected
        }
    }

    static let formatCases: [FormatCase] = [
        FormatCase(.info, "backup done", [:], "2026-01-01T02:00:00Z INFO backup done"),
        FormatCase(.warning, "slow", ["source": "db", "bytes": "12"], "2026-01-01T02:00:00Z WARNING slow bytes=12 source=db"),
        FormatCase(.error, "failed", ["reason": "disk full", "path": "/b/x y"],
                   "2026-01-01T02:00:00Z ERROR failed path=\"/b/x y\" reason=\"disk full\""),
        FormatCase(.debug, "two\nlines", ["q": "say \"hi\"", "empty": ""],
                   "2026-01-01T02:00:00Z DEBUG two\\nlines empty=\"\" q=\"say \\\"hi\\\"\""),
        FormatCase(.critical, "c", ["list": [.string("a"), .string("b")], "map": ["k": "v"]],
                   "2026-01-01T02:00:00Z CRITICAL c list=[a,b] map={k:v}"),
        FormatCase(.notice, "connecting to postgresql://app:Pw0rd!@db/mms", ["url": "postgres://u:Pw1@h/d"],
                   "2026-01-01T02:00:00Z NOTICE connecting to postgresql://app:***@db/mms url=postgres://u:***@h/d"),
        FormatCase(.trace, "t", [:], "2026-01-01T02:00:00Z TRACE t"),
    ]

    @Test(arguments: formatCases)
    func formatsOneLine(_ c: FormatCase) {
        #expect(VaultopsLogHandler.format(date: Self.date, level: c.level, message: c.message, metadata: c.metadata) == c.expected)
    }

    @Test func handlerMergesMetadataFiltersLevelsAndHidesSecrets() {
        let secret = "oss-\(UUID().uuidString)"
        Redacted.register(secret: secret)
        let collector = LineCollector()
        var logger = Logger(label: "vaultops.test") { label in
            VaultopsLogHandler(label: label, level: .info, now: { Self.date }, sink: { collector.append($0) })
        }
        logger[metadataKey: "run"] = "nightly"
        logger.debug("hidden")
        logger.info("upload", metadata: ["key": "nightly/db.sql.gz", "run": "override"])
        logger.error("signing with \(secret) failed")
        logger.logLevel = .debug
        logger.debug("now visible")
        #expect(collector.lines == [
            "2026-01-01T02:00:00Z INFO upload key=nightly/db.sql.gz run=override",
            "2026-01-01T02:00:00Z ERROR signing with *** failed run=nightly",
            "2026-01-01T02:00:00Z DEBUG now visible run=nightly",
        ])
    }

    @Test func bootstrapIsIdempotent() {
        VaultopsLogging.bootstrap(level: .info)
        VaultopsLogging.bootstrap(level: .debug)
        #expect(VaultopsLogging.level == .debug)
        #expect(VaultopsLogging.logger("vaultops.x").logLevel == .debug)
    }

    @Test func terminalOutputKeepsProgressBelowLogLines() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let output = TerminalOutput(fd: fds[1])
        #expect(!output.isTerminal)
        output.writeLine("first")
        output.showProgress("db: 1.0 MiB")
        output.writeLine("second")
        output.clearProgress()
        output.clearProgress()
        close(fds[1])
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        close(fds[0])
        let clear = "\r\u{1B}[2K"
        #expect(String(decoding: data, as: UTF8.self)
                == "first\n" + clear + "db: 1.0 MiB" + clear + "second\ndb: 1.0 MiB" + clear)
    }
}

@Suite("ProgressReporter")
struct ProgressTests {
    @Test(arguments: [
        (Int64(0), "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (12_582_912, "12.0 MiB"),
        (3_435_973_837, "3.2 GiB"), (1_099_511_627_776, "1.0 TiB"),
    ])
    func formatsBytes(bytes: Int64, expected: String) {
        #expect(ProgressReporter.formatBytes(bytes) == expected)
    }

    @Test(arguments: [(0.0, "0:00"), (0.2, "0:01"), (5, "0:05"), (754, "12:34"), (3723, "1:02:03"), (.infinity, "0:00")])
    func formatsDurations(seconds: Double, expected: String) {
        #expect(ProgressReporter.formatDuration(seconds) == expected)
    }

    @Test(arguments: [
        (Int64(12 << 20), Int64(100) << 20, Duration.seconds(3), "db: 12.0 MiB of 100.0 MiB (12%), 4.0 MiB/s, ETA 0:22"),
        (12 << 20, nil, .seconds(3), "db: 12.0 MiB, 4.0 MiB/s"),
        (0, 100, .zero, "db: 0 B of 100 B (0%)"),
        (0, 100, .seconds(1), "db: 0 B of 100 B (0%), 0 B/s"),
        (150, 100, .seconds(1), "db: 150 B of 100 B (100%), 150 B/s"),
    ] as [(Int64, Int64?, Duration, String)])
    func describes(completed: Int64, total: Int64?, elapsed: Duration, expected: String) {
        #expect(ProgressReporter.describe(label: "db", completed: completed, total: total, elapsed: elapsed) == expected)
    }

    @Test func terminalLineUpdatesAtMostFiveTimesASecond() {
        let clock = ManualClock()
        let shown = LineCollector(), logged = LineCollector(), cleared = LineCollector()
        let progress = ProgressReporter(label: "up", total: 1000, interactive: true, logInterval: .seconds(30),
                                        clock: { clock.now }, showLine: { shown.append($0) },
                                        clearLine: { cleared.append("clear") }, logLine: { logged.append($0) })
        progress.add(100)                    // first update shows at once
        clock.advance(.milliseconds(100))
        progress.add(100)                    // too soon
        clock.advance(.milliseconds(150))
        progress.add(300)
        clock.advance(.milliseconds(250))
        progress.finish()
        progress.add(1)                      // ignored after finish
        progress.finish()
        #expect(shown.lines == ["up: 100 B of 1000 B (10%)", "up: 500 B of 1000 B (50%), 2.0 KiB/s, ETA 0:01"])
        #expect(cleared.lines == ["clear"])
        #expect(logged.lines == ["up: 500 B in 0:01 (1000 B/s)"])
    }

    @Test func plainLogLinesAtMostEveryInterval() {
        let clock = ManualClock()
        let shown = LineCollector(), logged = LineCollector()
        let progress = ProgressReporter(label: "db", total: nil, interactive: false, logInterval: .seconds(10),
                                        clock: { clock.now }, showLine: { shown.append($0) }, clearLine: {},
                                        logLine: { logged.append($0) })
        for _ in 0..<25 {
            clock.advance(.seconds(1))
            progress.add(1024)
        }
        progress.finish()
        #expect(shown.lines.isEmpty)
        #expect(logged.lines == ["db: 10.0 KiB, 1.0 KiB/s", "db: 20.0 KiB, 1.0 KiB/s", "db: 25.0 KiB in 0:25 (1.0 KiB/s)"])
    }

    @Test func concurrentUpdatesAreCounted() async {
        let logged = LineCollector()
        let progress = ProgressReporter(label: "x", total: nil, interactive: false, logInterval: .seconds(3600),
                                        clock: { ContinuousClock.now }, showLine: { _ in }, clearLine: {},
                                        logLine: { logged.append($0) })
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { for _ in 0..<1000 { progress.add(1) } } }
        }
        progress.finish()
        #expect(logged.lines.count == 1)
        #expect(logged.lines[0].hasPrefix("x: 7.8 KiB in "))
    }
}
