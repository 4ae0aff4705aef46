import ErrorKinds
import Foundation

/// What an artifact holds, which decides its file extension.
public enum ArtifactKind: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// A PostgreSQL logical dump (`.sql.gz`).
    case postgres
    /// A SQLite snapshot (`.db.gz`).
    case sqlite
    /// A folder archive (`.tar.gz`).
    case files

    /// The file extension without the leading dot, e.g. `sql.gz`.
    public var fileExtension: String {
        switch self {
        case .postgres: "sql.gz"
        case .sqlite: "db.gz"
        case .files: "tar.gz"
        }
    }

    public var description: String { rawValue }
}

/// The calendar date (and optional time) encoded in an artifact name, in the host's local time.
public struct ArtifactStamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    /// Hour, minute and second when the name carries `_HHMMSS`.
    public var time: Time?

    /// Hour, minute and second of day.
    public struct Time: Sendable, Hashable, Comparable {
        public var hour: Int
        public var minute: Int
        public var second: Int

        public init(hour: Int, minute: Int, second: Int) {
            self.hour = hour
            self.minute = minute
            self.second = second
        }

        public static func < (a: Time, b: Time) -> Bool {
            (a.hour, a.minute, a.second) < (b.hour, b.minute, b.second)
        }
    }

    public init(year: Int, month: Int, day: Int, time: Time? = nil) {
        self.year = year
        self.month = month
        self.day = day
        self.time = time
    }

    /// The stamp of `date` as seen in `timeZone`.
    public init(_ date: Date, timeZone: TimeZone, withTime: Bool = true) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        self.init(year: c.year!, month: c.month!, day: c.day!,
                  time: withTime ? Time(hour: c.hour!, minute: c.minute!, second: c.second!) : nil)
    }

    /// `YYYYMMDD`.
    public var dateString: String { pad(year, 4) + pad(month, 2) + pad(day, 2) }

    /// `HHMMSS`, when there is a time.
    public var timeString: String? { time.map { pad($0.hour, 2) + pad($0.minute, 2) + pad($0.second, 2) } }

    public var description: String { dateString + (timeString.map { "_" + $0 } ?? "") }

    /// The instant this stamp names in `timeZone` (midnight when there is no time).
    public func date(in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: DateComponents(year: year, month: month, day: day,
                                                  hour: time?.hour ?? 0, minute: time?.minute ?? 0,
                                                  second: time?.second ?? 0))
    }

    public static func < (a: ArtifactStamp, b: ArtifactStamp) -> Bool {
        if (a.year, a.month, a.day) != (b.year, b.month, b.day) {
            return (a.year, a.month, a.day) < (b.year, b.month, b.day)
        }
        // A date-only name is the first of its day; a `_HHMMSS` one always came later.
        switch (a.time, b.time) {
        case (nil, nil), (_, nil): return false
        case (nil, _): return true
        case let (x?, y?): return x < y
        }
    }

    /// Whether the fields make a real calendar date and time.
    var isValid: Bool {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1 else { return false }
        let daysInMonth = [31, isLeapYear ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard day <= daysInMonth else { return false }
        if let time {
            // 60 allows a leap second; a name never needs more.
            return (0...23).contains(time.hour) && (0...59).contains(time.minute) && (0...60).contains(time.second)
        }
        return true
    }

    private var isLeapYear: Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }
}

private func pad(_ value: Int, _ width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

/// A file name taken apart by `ArtifactName.parse(_:)`.
public struct ParsedArtifact: Sendable, Hashable {
    /// The source name, which may itself contain underscores.
    public var source: String
    public var kind: ArtifactKind
    /// The local date and optional `_HHMMSS` time from the name.
    public var stamp: ArtifactStamp
    /// The clash counter (`_HHMMSS-2` → 2); nil for names without one.
    public var counter: Int?
    /// The name is the `.manifest.json` sidecar of an artifact.
    public var isManifest: Bool
    /// The name ends in `.partial`: an unfinished write.
    public var isPartial: Bool
    /// The artifact is encrypted: its name ends in `.age` after the kind's extension (`.sql.gz.age`).
    public var encrypted = false

    /// The artifact's own file name, without `.manifest.json` or `.partial`.
    public var artifactFileName: String {
        ArtifactName.fileName(source: source, kind: kind, stamp: stamp, counter: counter, encrypted: encrypted)
    }

    /// The instant the name stands for in `timeZone` (the zone the artifact was named in).
    public func date(in timeZone: TimeZone) -> Date? { stamp.date(in: timeZone) }

    /// Oldest first: by date and time, then by clash counter.
    public static func chronological(_ a: ParsedArtifact, _ b: ParsedArtifact) -> Bool {
        if a.stamp != b.stamp { return a.stamp < b.stamp }
        return (a.counter ?? 1) < (b.counter ?? 1)
    }

    /// The file name this value was parsed from.
    public var fileName: String {
        artifactFileName + (isManifest ? ArtifactName.manifestSuffix : "") + (isPartial ? ArtifactName.partialSuffix : "")
    }
}

/// An artifact name that cannot be used.
public struct ArtifactNameError: Error, KindedError, CustomStringConvertible, Equatable {
    /// The rejected value (a source name holds no secret, so it is safe to show).
    public var value: String
    /// Why it was rejected.
    public var reason: String

    public var description: String { "invalid backup name '\(value)': \(reason)" }
    // A bad `--name` or `name:` is the user's input, not a runtime failure.
    public var failureKind: FailureKind { .usage }
}

/// Artifact file names: `<name>_<YYYYMMDD>.<ext>`, with `_<HHMMSS>` (and `-N`) on a clash.
///
/// Pure: nothing here touches the file system except `chooseName(…, in:)`, which only asks what exists.
public enum ArtifactName {
    /// The suffix of a file still being written.
    public static let partialSuffix = ".partial"
    /// The suffix of an artifact's manifest sidecar.
    public static let manifestSuffix = ".manifest.json"
    /// The suffix of an encrypted artifact (age format around the gzip stream): `db_20250101.sql.gz.age`.
    public static let encryptedSuffix = ".age"

    /// Checks a source name: not empty, only `[A-Za-z0-9._-]`, and not `.` or `..`.
    public static func validate(source: String) throws(ArtifactNameError) {
        if source.isEmpty { throw ArtifactNameError(value: source, reason: "it is empty") }
        if source.contains("/") { throw ArtifactNameError(value: source, reason: "it contains '/'") }
        if let bad = source.unicodeScalars.first(where: { !isAllowed($0) }) {
            let shown = bad.properties.generalCategory == .control || bad == " "
                ? "U+" + String(bad.value, radix: 16, uppercase: true) : String(bad)
            throw ArtifactNameError(value: source,
                                    reason: "it contains '\(shown)'; use only letters, digits, '.', '_' and '-'")
        }
        if source == "." || source == ".." { throw ArtifactNameError(value: source, reason: "it is not a name") }
    }

    /// The default source name for `path`: `db` for PostgreSQL, the file stem for SQLite, the folder's base name.
    ///
    /// Characters a name cannot hold become `_`, so the result always validates (or is `backup` when nothing is left).
    public static func defaultSource(kind: ArtifactKind, path: String) -> String {
        let raw: String
        switch kind {
        case .postgres:
            raw = "db"
        case .sqlite:
            let base = lastComponent(path)
            // `mms.db` → `mms`; `x.sqlite3` → `x`; a file without an extension keeps its name.
            if let dot = base.lastIndex(of: "."), dot != base.startIndex {
                raw = String(base[..<dot])
            } else {
                raw = base
            }
        case .files:
            raw = lastComponent(path)
        }
        let cleaned = String(String.UnicodeScalarView(raw.unicodeScalars.map { isAllowed($0) ? $0 : "_" }))
        if cleaned.isEmpty || cleaned == "." || cleaned == ".." { return "backup" }
        return cleaned
    }

    /// The file name for `source`, `kind` and `stamp`: `<source>_<YYYYMMDD>[_<HHMMSS>[-N]].<ext>[.age]`.
    public static func fileName(source: String, kind: ArtifactKind, stamp: ArtifactStamp, counter: Int? = nil,
                                encrypted: Bool = false) -> String {
        var name = source + "_" + stamp.dateString
        if let time = stamp.timeString {
            name += "_" + time
            if let counter { name += "-" + String(counter) }
        }
        return name + "." + kind.fileExtension + (encrypted ? encryptedSuffix : "")
    }

    /// Picks a name for a new artifact made at `date` that does not clash with anything `exists` reports.
    ///
    /// The date name when free; otherwise `_<HHMMSS>` in `timeZone`; otherwise `_<HHMMSS>-2`, `-3`, ….
    /// A name counts as taken when the artifact, its manifest or a `.partial` of either exists, so a
    /// crashed run's leftovers are never overwritten either; encrypted or not, so a stamp names one backup of a
    /// source even on the day its encryption was switched on.
    public static func chooseName(source: String, kind: ArtifactKind, at date: Date, timeZone: TimeZone = .current,
                                  encrypted: Bool = false, exists: (String) throws -> Bool) throws -> String {
        try validate(source: source)
        func taken(_ name: String) throws -> Bool {
            for artifact in [name, name + encryptedSuffix] {
                for candidate in [artifact, artifact + partialSuffix, artifact + manifestSuffix,
                                  artifact + manifestSuffix + partialSuffix] where try exists(candidate) {
                    return true
                }
            }
            return false
        }
        func named(_ stamp: ArtifactStamp, _ counter: Int? = nil) -> String {
            fileName(source: source, kind: kind, stamp: stamp, counter: counter)
        }
        let suffix = encrypted ? encryptedSuffix : ""
        let dayStamp = ArtifactStamp(date, timeZone: timeZone, withTime: false)
        if try !taken(named(dayStamp)) { return named(dayStamp) + suffix }
        let timeStamp = ArtifactStamp(date, timeZone: timeZone, withTime: true)
        if try !taken(named(timeStamp)) { return named(timeStamp) + suffix }
        for counter in 2...100_000 {
            let name = named(timeStamp, counter)
            if try !taken(name) { return name + suffix }
        }
        throw ArtifactNameError(value: source, reason: "no free file name left for \(timeStamp)")
    }

    /// `chooseName` against the files in `directory`.
    public static func chooseName(source: String, kind: ArtifactKind, at date: Date, timeZone: TimeZone = .current,
                                  encrypted: Bool = false, in directory: URL) throws -> String {
        try chooseName(source: source, kind: kind, at: date, timeZone: timeZone, encrypted: encrypted) { name in
            // lstat, not stat: a dangling symlink still occupies the name.
            var st = stat()
            return lstat(directory.appendingPathComponent(name).path, &st) == 0
        }
    }

    /// Takes an artifact, manifest or `.partial` file name apart; nil when it is not one of ours.
    ///
    /// Pass the base name only (`db_20250101.sql.gz`, not an OSS key with its prefix).
    public static func parse(_ fileName: String) -> ParsedArtifact? {
        var rest = Substring(fileName)
        let isPartial = rest.hasSuffix(partialSuffix)
        if isPartial { rest = rest.dropLast(partialSuffix.count) }
        let isManifest = rest.hasSuffix(manifestSuffix)
        if isManifest { rest = rest.dropLast(manifestSuffix.count) }
        let encrypted = rest.hasSuffix(encryptedSuffix)
        if encrypted { rest = rest.dropLast(encryptedSuffix.count) }
        guard let kind = ArtifactKind.allCases.first(where: { rest.hasSuffix("." + $0.fileExtension) }) else { return nil }
        rest = rest.dropLast(kind.fileExtension.count + 1)

        // Read from the end, so a source name may hold underscores and even digits.
        guard let lastUnderscore = rest.lastIndex(of: "_") else { return nil }
        let last = rest[rest.index(after: lastUnderscore)...]
        var head = rest[..<lastUnderscore]
        var dateField: Substring
        var time: ArtifactStamp.Time?
        var counter: Int?
        if last.count == 8, last.allSatisfy(\.isASCIIDigit) {
            dateField = last
        } else {
            var timeField = last
            if let dash = last.firstIndex(of: "-") {
                let digits = last[last.index(after: dash)...]
                guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy(\.isASCIIDigit),
                      let n = Int(digits), n >= 2, String(n) == digits else { return nil }
                counter = n
                timeField = last[..<dash]
            }
            guard timeField.count == 6, timeField.allSatisfy(\.isASCIIDigit),
                  let dateUnderscore = head.lastIndex(of: "_") else { return nil }
            dateField = head[head.index(after: dateUnderscore)...]
            guard dateField.count == 8, dateField.allSatisfy(\.isASCIIDigit) else { return nil }
            head = head[..<dateUnderscore]
            time = ArtifactStamp.Time(hour: Int(timeField.prefix(2))!, minute: Int(timeField.dropFirst(2).prefix(2))!,
                                      second: Int(timeField.suffix(2))!)
        }
        let stamp = ArtifactStamp(year: Int(dateField.prefix(4))!, month: Int(dateField.dropFirst(4).prefix(2))!,
                                  day: Int(dateField.suffix(2))!, time: time)
        let source = String(head)
        guard stamp.isValid, (try? validate(source: source)) != nil else { return nil }
        return ParsedArtifact(source: source, kind: kind, stamp: stamp, counter: counter,
                              isManifest: isManifest, isPartial: isPartial, encrypted: encrypted)
    }

    static func isAllowed(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": true
        default: false
        }
    }

    private static func lastComponent(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        if p == "/" { return "" }
        if let slash = p.lastIndex(of: "/") { return String(p[p.index(after: slash)...]) }
        return String(p)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
