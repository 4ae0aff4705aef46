/// How loud a `run` log line is, so `grep -E 'ERROR|WARN'` finds exactly what needs a look.
public enum RunLogLevel: Sendable, Equatable {
    case info, warning, error

    /// Failures (`FAILED`) at error level; a failure count above zero, retries and `cannot` at warning.
    public init(line: String) {
        if line.contains("FAILED") {
            self = .error
        } else if Self.mentionsFailure(line) || line.contains("retry") || line.contains("cannot ") {
            self = .warning
        } else {
            self = .info
        }
    }

    /// Whether ` failed` appears other than as a zero count (a healthy mirror summary ends `failed 0`).
    static func mentionsFailure(_ line: String) -> Bool {
        var rest = Substring(line)
        while let range = rest.range(of: " failed") {
            let after = rest[range.upperBound...]
            let zeroCount = after.hasPrefix(" 0") && !(after.dropFirst(2).first?.isNumber ?? false)
            if !zeroCount { return true }
            rest = after
        }
        return false
    }
}
