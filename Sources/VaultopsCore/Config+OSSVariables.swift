import Foundation

extension Config {
    /// The `OSS_*` settings an OSS client for this config uses: the one precedence every command follows.
    ///
    /// The `oss:` block first, then the process environment, then the `.env` beside the config (the
    /// environment wins over `.env`, docker compose's rule; a variable set empty in the environment counts
    /// as set). Only `OSS_*` names are passed on.
    public func ossVariables(environment: [String: String]) -> [String: String] {
        var variables: [String: String] = [:]
        for (name, value) in dotEnv where name.hasPrefix("OSS_") { variables[name] = value }
        for (name, value) in environment where name.hasPrefix("OSS_") { variables[name] = value }
        if let oss {
            if let v = oss.endpoint { variables["OSS_ENDPOINT"] = v }
            if let v = oss.region { variables["OSS_REGION"] = v }
            if let v = oss.accessKeyID { variables["OSS_ACCESS_KEY_ID"] = v }
            if let v = oss.accessKeySecret { variables["OSS_ACCESS_KEY_SECRET"] = v.value }
            if let v = oss.sessionToken { variables["OSS_SESSION_TOKEN"] = v.value }
        }
        return variables
    }
}
