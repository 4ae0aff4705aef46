import CCurl

/// The libcurl this process runs with, for `vaultops --version` and bug reports.
public enum CurlLibrary {
    /// The loaded libcurl's version and TLS backend, such as "7.88.1 (OpenSSL/3.0.17)" (`curl_version_info`).
    public static var version: String {
        // CURLVERSION_NOW is a macro Swift cannot import; the first age already has both fields read here.
        guard let info = curl_version_info(CURLVERSION_FIRST)?.pointee else { return "unknown" }
        let version = String(cString: info.version)
        guard let tls = info.ssl_version else { return version }
        return "\(version) (\(String(cString: tls)))"
    }
}
