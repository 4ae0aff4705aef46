import Foundation

/// What a restore did, for the summary line.
public struct FileRestoreSummary: Sendable {
    public let target: URL
    public let previousCopy: URL?
    public let details: [String]
    /// Lines the user should read one by one (links restored pointing outside the target).
    public var notes: [String] = []
}
