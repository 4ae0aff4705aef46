import Foundation
import Storage

/// Where a source's replica lives under a destination, and how its names are made and read back.
///
/// `replica/<source>/<generation>/snapshot.db.gz` and `replica/<source>/<generation>/wal/<index>.wal.gz`, the index
/// as 16 lowercase hex digits so that names sort in chain order. A generation's name starts with its UTC start
/// time to the millisecond (`yyyyMMddHHmmssSSS-<8 hex>`), so generations also sort by time (a VACUUM and a
/// replaced file can start two in one second).
public struct ReplicaLayout: Sendable, Equatable {
    /// The top folder of every replica, next to (never inside) the nightly artifacts' names.
    public static let topFolder = "replica/"

    public let source: String

    public init(source: String) {
        self.source = source
    }

    /// `replica/<source>/`.
    public var root: String { Self.topFolder + source + "/" }

    public func generationPrefix(_ generation: String) -> String { root + generation + "/" }

    public func snapshotName(_ generation: String) -> String { generationPrefix(generation) + "snapshot.db.gz" }

    public func segmentName(_ generation: String, index: UInt64) -> String {
        generationPrefix(generation) + "wal/" + Self.hex16(index) + ".wal.gz"
    }

    static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    /// A new generation's name: `yyyyMMddHHmmssSSS` in UTC, a dash and `random` as 8 hex digits.
    public static func generationName(startedAt date: Date, random: UInt32 = .random(in: .min ... .max)) -> String {
        let digits = String(random, radix: 16)
        return generationFormatter().string(from: date) + "-" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The start time in a generation's name; nil when the name is not one.
    public static func generationStart(_ name: String) -> Date? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 17, parts[1].count == 8,
              parts[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        return generationFormatter().date(from: String(parts[0]))
    }

    private static func generationFormatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmssSSS"
        return formatter
    }

    /// The generation a stored name under `root` belongs to, and its path components (the generation's first);
    /// nil for a name outside `root`.
    func place(of name: String) -> (generation: String, components: [Substring])? {
        guard name.hasPrefix(root) else { return nil }
        let components = name.dropFirst(root.count).split(separator: "/", omittingEmptySubsequences: false)
        guard let first = components.first else { return nil }
        return (String(first), components)
    }

    /// The generations found among `entries` (a recursive listing of `root`), oldest first. Names that are not
    /// part of a replica are ignored; a generation's segments are its chain from index 0 up to the first gap.
    public func generations(in entries: [StorageEntry]) -> [ReplicaGeneration] {
        var found: [String: ReplicaGeneration] = [:]
        for entry in entries where entry.kind == .object {
            guard let (name, rest) = place(of: entry.name), let start = Self.generationStart(name) else { continue }
            var generation = found[name] ?? ReplicaGeneration(name: name, start: start)
            if rest.count == 2, rest[1] == "snapshot.db.gz" {
                generation.snapshot = entry
            } else if rest.count == 3, rest[1] == "wal", let index = Self.segmentIndex(String(rest[2])) {
                generation.listedSegments[index] = entry
            } else {
                continue
            }
            found[name] = generation
        }
        return found.values.sorted { $0.name < $1.name }
    }

    /// The index in a segment's file name (`00000000000000a1.wal.gz`); nil for any other name.
    public static func segmentIndex(_ fileName: String) -> UInt64? {
        guard fileName.hasSuffix(".wal.gz") else { return nil }
        let digits = fileName.dropLast(".wal.gz".count)
        guard digits.count == 16, digits.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        return UInt64(digits, radix: 16)
    }
}

/// One generation of a replica as a listing shows it.
public struct ReplicaGeneration: Sendable, Equatable {
    public var name: String
    public var start: Date
    /// The snapshot; nil while it is missing (an interrupted start: the generation is not restorable).
    public var snapshot: StorageEntry?
    /// Every segment listed, by index, gaps included.
    public var listedSegments: [UInt64: StorageEntry] = [:]

    public init(name: String, start: Date) {
        self.name = name
        self.start = start
    }

    /// The segments a restore may use: indexes 0, 1, 2, … up to the first one missing.
    public var chain: [StorageEntry] {
        var result: [StorageEntry] = []
        var index: UInt64 = 0
        while let entry = listedSegments[index] {
            result.append(entry)
            index += 1
        }
        return result
    }

    /// The first missing index when segments after it exist (a gap); nil when the chain is whole.
    public var firstGap: UInt64? {
        let chainLength = UInt64(chain.count)
        return listedSegments.keys.contains { $0 > chainLength } ? chainLength : nil
    }
}
