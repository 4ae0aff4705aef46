import Foundation
@testable import Retention

/// Builds made-up backup timelines for the policy tests, in a given time zone.
struct Timeline {
    let timeZone: TimeZone
    private let calendar: Calendar

    init(_ identifier: String) {
        timeZone = TimeZone(identifier: identifier)!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// The instant of local wall-clock time `"2025-04-15 02:30"` (seconds optional) in this zone.
    func at(_ text: String) -> Date {
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" }).map { Int($0)! }
        let components = DateComponents(year: parts[0], month: parts[1], day: parts[2],
                                        hour: parts.count > 3 ? parts[3] : 0,
                                        minute: parts.count > 4 ? parts[4] : 0,
                                        second: parts.count > 5 ? parts[5] : 0)
        return calendar.date(from: components)!
    }

    /// The vaultops-style name of an artifact of `source` taken at `date` (local time of this zone).
    func name(_ source: String, _ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func p(_ v: Int?, _ w: Int) -> String { String(format: "%0\(w)d", v!) }
        return "\(source)_\(p(c.year, 4))\(p(c.month, 2))\(p(c.day, 2))_\(p(c.hour, 2))\(p(c.minute, 2))\(p(c.second, 2)).sql.gz"
    }

    /// One artifact of `source` at local time `text`.
    func artifact(_ source: String, _ text: String, verified: Bool = true) -> RetentionArtifact {
        let date = at(text)
        return RetentionArtifact(name: name(source, date), source: source, takenAt: date, verified: verified)
    }

    /// One artifact a day at `time` from `first` to `last` (inclusive, local dates), leaving out `skipping`.
    func daily(_ source: String, from first: String, to last: String, at time: String = "02:00",
               skipping: Set<String> = [], verified: Bool = true) -> [RetentionArtifact] {
        var result: [RetentionArtifact] = []
        var day = at(first)
        let end = at(last)
        while day <= end {
            let c = calendar.dateComponents([.year, .month, .day], from: day)
            let label = String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
            if !skipping.contains(label) { result.append(artifact(source, "\(label) \(time)", verified: verified)) }
            day = calendar.date(byAdding: .day, value: 1, to: day)!
        }
        return result
    }

    /// The names of artifacts of `source` from `first` to `last` at `time`, like `daily`.
    func names(_ source: String, from first: String, to last: String, at time: String = "02:00",
               skipping: Set<String> = []) -> Set<String> {
        Set(daily(source, from: first, to: last, at: time, skipping: skipping).map(\.name))
    }
}
