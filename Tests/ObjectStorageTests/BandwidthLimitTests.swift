import Foundation
@testable import ObjectStorage
import Storage
import Testing
import TestSupport
import VaultopsCore

/// A clock that moves only when the limiter sleeps, so the limiter's arithmetic is checked without waiting.
final class VirtualTime: @unchecked Sendable {
    // Safety: `now` and `slept` are only touched under `lock`.
    private let lock = NSLock()
    private var current: Date
    private var total: TimeInterval = 0
    init(_ start: Date) { current = start }
    var now: Date { lock.withLock { current } }
    var slept: TimeInterval { lock.withLock { total } }
    func sleep(_ seconds: TimeInterval) { lock.withLock { current += seconds; total += seconds } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}

@Suite("Bandwidth limits: one token bucket for all parallel parts, optionally within a daily window")
struct BandwidthLimitTests {
    static let noon = Date(timeIntervalSince1970: 1_767_268_800)  // 2026-01-01 12:00 UTC

    @Test("rates: KiB/s and MiB/s in the usual spellings; a bare number is KiB/s")
    func rates() {
        let cases: [(String, Int64?)] = [("512KiB", 512 << 10), ("2MiB", 2 << 20), ("2 MiB/s", 2 << 20), ("512k", 512 << 10),
                                         ("2M", 2 << 20), ("1.5MB", 3 << 19), ("300", 300 << 10), ("0", nil), ("fast", nil), ("-1M", nil)]
        for (text, expected) in cases { #expect(BandwidthLimiter.parseRate(text) == expected, "\(text)") }
    }

    @Test("windows: inside, outside, across midnight; bad ones refused")
    func windows() throws {
        let utc = try #require(TimeZone(identifier: "UTC"))
        let day = try #require(DailyWindow(parsing: "09:00-22:00", timeZone: utc))
        #expect(day.contains(Self.noon) && !day.contains(Self.noon + 11 * 3600) && day.contains(Self.noon - 3 * 3600))
        let night = try #require(DailyWindow(parsing: "22:00-06:00", timeZone: utc))
        #expect(!night.contains(Self.noon) && night.contains(Self.noon + 11 * 3600) && night.contains(Self.noon - 7 * 3600))
        for bad in ["9-22", "09:00", "25:00-26:00", "10:00-10:00", "09:60-10:00"] { #expect(DailyWindow(parsing: bad) == nil, "\(bad)") }
    }

    @Test("the bucket: after its burst, bytes cost bytes/rate seconds; outside the window nothing waits")
    func bucket() throws {
        let time = VirtualTime(Self.noon)
        let limiter = BandwidthLimiter(bytesPerSecond: 2 << 20, clock: { time.now }, sleep: { time.sleep($0) })
        for _ in 0..<(40 << 6) { limiter.take(16 << 10) }  // 40 MiB in 16 KiB steps
        // 40 MiB at 2 MiB/s is 20 s, less the initial burst (a quarter second's worth).
        #expect(abs(time.slept - (20 - 0.25)) < 0.01, "slept \(time.slept)")
        let utc = try #require(TimeZone(identifier: "UTC"))
        let evening = VirtualTime(Self.noon)
        let outside = BandwidthLimiter(bytesPerSecond: 2 << 20, window: DailyWindow(parsing: "18:00-22:00", timeZone: utc),
                                       clock: { evening.now }, sleep: { evening.sleep($0) })
        for _ in 0..<(40 << 6) { outside.take(16 << 10) }
        #expect(evening.slept == 0 && outside.bytesLimited == 0)
        evening.advance(7 * 3600)  // 19:00: inside the window now
        for _ in 0..<(4 << 6) { outside.take(16 << 10) }
        #expect(evening.slept > 1.5 && outside.bytesLimited == 4 << 20)
    }

    @Test("config and command line: limit_upload/limit_download/limit_window, the command line winning; bad values named")
    func settings() throws {
        func load(_ lines: String) throws -> Config {
            try ConfigLoader.parse(yaml: "oss:\n  bucket: b\n" + lines, file: "/etc/vaultops/vaultops.yml",
                                   baseDirectory: URL(fileURLWithPath: "/etc/vaultops"))
        }
        let env = ["OSS_ENDPOINT": "oss-cn-hangzhou.aliyuncs.com", "OSS_ACCESS_KEY_ID": "i", "OSS_ACCESS_KEY_SECRET": "s"]
        var settings = OSSSettings(config: try load("  limit_upload: 2MiB\n  limit_download: 512KiB\n  limit_window: \"09:00-22:00\"\n"),
                                   environment: env)
        var configuration = try settings.configuration()
        #expect(configuration.uploadLimit?.bytesPerSecond == Double(2 << 20))
        #expect(configuration.downloadLimit?.bytesPerSecond == Double(512 << 10))
        #expect(configuration.uploadLimit?.window?.start == 9 * 60)
        settings.limitUpload = "1MiB"
        configuration = try settings.configuration()
        #expect(configuration.uploadLimit?.bytesPerSecond == Double(1 << 20))
        #expect(configuration.uploadLimit === configuration.uploadLimit, "one limiter per configuration")
        let bad = try #require(throws: ObjectStorageError.self) {
            try OSSSettings(config: try load("  limit_upload: lots\n"), environment: env).configuration()
        }
        #expect(bad.description.contains("512KiB or 2MiB"))
        #expect(throws: ObjectStorageError.self) { try OSSSettings(config: try load("  limit_window: evenings\n"), environment: env).configuration() }
    }

    @Test("every parallel part of a multipart upload and every byte of a download go through the one shared limiter")
    func shared() throws {
        let bucket = try OSSEmulator.freshBucket("bandwidth")
        var configuration = try OSSEmulator.configuration()
        configuration.multipartThreshold = 1 << 20
        configuration.partSize = 256 << 10
        configuration.parallelism = 4
        // A high rate: the test checks the accounting, not the timing (the benchmark measures that).
        configuration.uploadLimit = BandwidthLimiter(bytesPerSecond: 512 << 20)
        configuration.downloadLimit = BandwidthLimiter(bytesPerSecond: 512 << 20)
        let client = OSSClient(configuration: configuration)
        let dir = try TempDir("bandwidth")
        let bytes = testBytes(3 << 20, seed: 31)
        try bytes.write(to: dir.file("f.bin"))
        let up = try client.uploadFile(at: dir.file("f.bin").path, bucket: bucket, key: "f.bin")
        #expect(up.multipart && up.partsUploaded == 12)
        // Every part's bytes, and CompleteMultipartUpload's small XML body (upload traffic too).
        let limited = try #require(configuration.uploadLimit?.bytesLimited)
        #expect(limited >= Int64(bytes.count) && limited < Int64(bytes.count) + 4096, "\(limited)")
        _ = try client.download(bucket: bucket, key: "f.bin", to: dir.file("back.bin").path)
        #expect(configuration.downloadLimit?.bytesLimited == Int64(bytes.count))
        #expect(try Data(contentsOf: dir.file("back.bin")) == bytes)
    }
}
