import Foundation

/// A daily time window (`09:00-22:00`, or across midnight `22:00-06:00`) in a time zone.
public struct DailyWindow: Sendable, Equatable {
    /// Minutes after midnight; the window is [start, end), wrapping past midnight when end ≤ start.
    public var start: Int
    public var end: Int
    public var timeZone: TimeZone

    /// Parses `HH:MM-HH:MM`.
    public init?(parsing text: String, timeZone: TimeZone = .current) {
        func minutes(_ s: Substring) -> Int? {
            let parts = s.trimmingCharacters(in: .whitespaces).split(separator: ":")
            guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0..<60).contains(m),
                  h * 60 + m <= 1440 else { return nil }
            return h * 60 + m
        }
        let halves = text.split(separator: "-")
        guard halves.count == 2, let start = minutes(halves[0]), let end = minutes(halves[1]), start != end else { return nil }
        self.start = start
        self.end = end
        self.timeZone = timeZone
    }

    /// Whether `date` falls inside the window.
    public func contains(_ date: Date) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.hour, .minute], from: date)
        let now = (c.hour ?? 0) * 60 + (c.minute ?? 0)
        return start < end ? (start <= now && now < end) : (now >= start || now < end)
    }
}

/// A token bucket shared by every transfer of a run (all parallel parts together stay under `bytesPerSecond`),
/// optionally only within a daily window, outside which transfers run at full speed.
///
/// Each transfer asks for its bytes as they move (`take`), and sleeps when the bucket is in debt; reservations
/// are made under a lock and waited out without it, so parallel parts share the rate fairly.
public final class BandwidthLimiter: @unchecked Sendable {
    // Safety: `tokens` and `refilled` are only read and written under `lock`.
    private let lock = NSLock()
    private var tokens: Double
    private var refilled: Date
    private var taken: Int64 = 0
    public let bytesPerSecond: Double
    public let window: DailyWindow?
    /// Most bytes sent at once after an idle spell (a quarter second's worth, at least 64 KiB).
    let burst: Double
    private let clock: @Sendable () -> Date
    private let sleep: @Sendable (TimeInterval) -> Void

    public init(bytesPerSecond: Int64, window: DailyWindow? = nil, clock: @escaping @Sendable () -> Date = { Date() },
                sleep: @escaping @Sendable (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) }) {
        self.bytesPerSecond = Double(max(1, bytesPerSecond))
        self.window = window
        self.clock = clock
        self.sleep = sleep
        burst = max(64 * 1024, self.bytesPerSecond / 4)
        tokens = burst
        refilled = clock()
    }

    /// Accounts for `bytes` about to move (or just moved), sleeping as long as the rate requires.
    public func take(_ bytes: Int) {
        let now = clock()
        if let window, !window.contains(now) { return }
        let wait: TimeInterval = lock.withLock {
            tokens = min(burst, tokens + now.timeIntervalSince(refilled) * bytesPerSecond)
            refilled = now
            tokens -= Double(bytes)
            taken += Int64(bytes)
            return tokens < 0 ? -tokens / bytesPerSecond : 0
        }
        if wait > 0 { sleep(wait) }
    }

    /// Bytes accounted for while limited (within the window), for tests and reports.
    public var bytesLimited: Int64 { lock.withLock { taken } }

    /// Parses `512KiB`, `2MiB`, `2 MiB/s`, `512k`, `2M`; a bare number is KiB/s. Nil for text that is none of these.
    public static func parseRate(_ text: String) -> Int64? {
        var s = text.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: " ", with: "")
        if s.hasSuffix("/s") { s.removeLast(2) }
        let units: [(String, Int64)] = [("kib", 1024), ("kb", 1024), ("k", 1024), ("mib", 1 << 20), ("mb", 1 << 20), ("m", 1 << 20)]
        var multiplier: Int64 = 1024
        for (suffix, value) in units where s.hasSuffix(suffix) {
            s.removeLast(suffix.count)
            multiplier = value
            break
        }
        guard let number = Double(s), number > 0, number.isFinite else { return nil }
        let rate = Int64(number * Double(multiplier))
        return rate >= 1 ? rate : nil
    }
}
