import Foundation

/// Progress lines for long transfers: bytes, rate and ETA, as a pure function of the numbers.
public enum TransferProgress {
    /// `1.5 MiB`, `200.0 MiB`, `12 B`: binary units, one decimal above bytes.
    public static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// `1m05s`, `42s`, `2h03m`.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }

    /// `label  45.0 MiB / 200.0 MiB  22%  9.0 MiB/s  ETA 17s`; rate and ETA only once time has passed.
    public static func line(label: String, done: Int64, total: Int64, elapsed: Double) -> String {
        var text = "\(label)  \(bytes(done)) / \(bytes(total))"
        if total > 0 { text += "  \(Int(Double(done) * 100 / Double(total)))%" }
        if elapsed > 0.2 && done > 0 {
            let rate = Double(done) / elapsed
            text += "  \(bytes(Int64(rate)))/s"
            if total > done { text += "  ETA \(duration(Double(total - done) / rate))" }
        }
        return text
    }
}
