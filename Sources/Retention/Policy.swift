import VaultopsCore

/// How many artifacts of each source survive a prune.
///
/// The rules follow restic's `forget`: `keepDays` keeps everything taken within that many calendar days of
/// the source's newest verified artifact (like `--keep-within`, counted back from the newest good backup,
/// not from now); `keepLast`, `keepDaily`, `keepWeekly` and `keepMonthly` keep the newest artifact of each of
/// the last N periods that have one. A value of `nil` or `0` turns a rule off. The newest verified artifact
/// of every source is always kept, whatever the policy says.
public struct RetentionPolicy: Sendable, Hashable, Codable {
    /// Keep every artifact taken within this many days of the source's newest verified artifact.
    public var keepDays: Int?
    /// Keep the newest N artifacts.
    public var keepLast: Int?
    /// Keep the newest artifact of each of the last N days that have one.
    public var keepDaily: Int?
    /// Keep the newest artifact of each of the last N ISO weeks that have one.
    public var keepWeekly: Int?
    /// Keep the newest artifact of each of the last N months that have one.
    public var keepMonthly: Int?

    /// The policy used when neither the command line nor the configuration names one: 30 days.
    public static let `default` = RetentionPolicy(keepDays: 30)

    /// Creates a policy; call `validate()` before applying it.
    public init(keepDays: Int? = nil, keepLast: Int? = nil, keepDaily: Int? = nil,
                keepWeekly: Int? = nil, keepMonthly: Int? = nil) {
        self.keepDays = keepDays
        self.keepLast = keepLast
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
    }

    /// The policy of the configuration's `retention:` block.
    public init(_ config: RetentionConfig) {
        self.init(keepDays: config.keepDays, keepLast: config.keepLast, keepDaily: config.keepDaily,
                  keepWeekly: config.keepWeekly, keepMonthly: config.keepMonthly)
    }

    /// The policy a prune uses: the command line's rules when any is given, else the configuration's
    /// `retention:` block, else `default` (30 days).
    public static func resolve(commandLine: RetentionPolicy, configuration: RetentionConfig?) -> RetentionPolicy {
        if commandLine != RetentionPolicy() { return commandLine }
        if let configuration, !configuration.isEmpty { return RetentionPolicy(configuration) }
        return .default
    }

    enum CodingKeys: String, CodingKey {
        case keepDays = "keep_days"
        case keepLast = "keep_last"
        case keepDaily = "keep_daily"
        case keepWeekly = "keep_weekly"
        case keepMonthly = "keep_monthly"
    }

    /// The rules with their configuration names, in a fixed order, for messages and reports.
    var rules: [(name: String, value: Int?)] {
        [("keep_days", keepDays), ("keep_last", keepLast), ("keep_daily", keepDaily),
         ("keep_weekly", keepWeekly), ("keep_monthly", keepMonthly)]
    }

    /// True when no rule keeps anything; such a policy would delete all but the newest backup.
    public var isEmpty: Bool { rules.allSatisfy { ($0.value ?? 0) == 0 } }

    /// Throws when a count is negative or when the policy keeps nothing.
    public func validate() throws(RetentionError) {
        for rule in rules {
            if let value = rule.value, value < 0 {
                throw RetentionError(.invalidPolicy, "retention \(rule.name) must be 0 or more, not \(value)")
            }
        }
        if isEmpty {
            throw RetentionError(.invalidPolicy,
                                 "the retention policy keeps nothing: set keep_days (e.g. 30) or one of keep_last, keep_daily, keep_weekly, keep_monthly")
        }
    }

    /// A short human summary such as `keep_days 30, keep_weekly 8`.
    public var summary: String {
        let parts = rules.compactMap { rule -> String? in
            guard let value = rule.value, value > 0 else { return nil }
            return "\(rule.name) \(value)"
        }
        return parts.isEmpty ? "empty" : parts.joined(separator: ", ")
    }
}
