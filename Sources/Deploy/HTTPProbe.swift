import CCurl
import Foundation

/// An HTTP answer to a health probe.
public struct ProbeResponse: Sendable, Equatable {
    public var status: Int
    /// The body, cut at `HTTPProbe.bodyLimit` bytes.
    public var body: Data
}

/// Collects a response body for the write callback, up to a limit.
private final class ProbeBody {
    var data = Data()
    let limit: Int
    init(limit: Int) { self.limit = limit }
}

private let probeWriteCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    buffer, size, count, user in
    guard let buffer, let user else { return 0 }
    let box = Unmanaged<ProbeBody>.fromOpaque(user).takeUnretainedValue()
    let n = size * count
    // A health page is small; the rest of a large one is dropped, not an error.
    let keep = max(0, min(n, box.limit - box.data.count))
    if keep > 0 { box.data.append(UnsafeRawBufferPointer(start: buffer, count: keep).bindMemory(to: UInt8.self)) }
    return n
}

private enum ProbeCurlGlobal {
    // curl_global_init must run before the first handle; a global let runs it once, thread-safely
    // (libcurl counts calls, so other modules initialising it as well is fine).
    static let initialized: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))
}

/// A blocking HTTP GET over one libcurl easy handle, for health gates.
///
/// Follows <https://curl.se/libcurl/c/libcurl-easy.html>: http and https only, no redirects (a gate that
/// redirects is misconfigured, as for compose's `curl -f`), a total timeout per attempt, no signals.
/// (ObjectStorage's `CurlEasy` is built around signed OSS transfers and has no total timeout.)
/// - Important: an easy handle belongs to one thread; this type is not Sendable.
public final class HTTPProbe {
    /// How much of a body is kept.
    public static let bodyLimit = 64 * 1024
    private let handle: UnsafeMutableRawPointer
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    public init() throws(DeployError) {
        let global = ProbeCurlGlobal.initialized
        guard global == CURLE_OK else {
            throw DeployError(.process, "curl_global_init failed: \(String(cString: curl_easy_strerror(global)))")
        }
        guard let h = curl_easy_init() else { throw DeployError(.process, "curl_easy_init failed (out of memory?)") }
        handle = h
    }

    deinit { curl_easy_cleanup(handle) }

    /// GETs `url` and returns the status and body, whatever the status.
    ///
    /// - Throws: `DeployError.process` with libcurl's message when no HTTP answer came (connect, DNS, TLS, timeout).
    public func get(_ url: String, timeout: Duration) throws(DeployError) -> ProbeResponse {
        curl_easy_reset(handle)
        let box = ProbeBody(limit: Self.bodyLimit)
        let user = Unmanaged.passUnretained(box).toOpaque()
        let millis = max(1, Int(seconds(timeout) * 1000))
        errorBuffer[0] = 0
        do {
            return try withExtendedLifetime(box) {
                try errorBuffer.withUnsafeMutableBufferPointer { errbuf in
                    defer { _ = vaultops_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, nil) }
                    try check(vaultops_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errbuf.baseAddress), "ERRORBUFFER", errbuf)
                    try check(vaultops_curl_setopt_str(handle, CURLOPT_URL, url), "URL", errbuf)
                    try check(vaultops_curl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "http,https"), "PROTOCOLS_STR", errbuf)
                    try check(vaultops_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "NOSIGNAL", errbuf)
                    try check(vaultops_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, millis), "TIMEOUT_MS", errbuf)
                    try check(vaultops_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, millis), "CONNECTTIMEOUT_MS", errbuf)
                    try check(vaultops_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0), "FOLLOWLOCATION", errbuf)
                    // A gate asks the service itself: a proxy from the environment must not answer for it.
                    try check(vaultops_curl_setopt_str(handle, CURLOPT_NOPROXY, "*"), "NOPROXY", errbuf)
                    try check(vaultops_curl_setopt_str(handle, CURLOPT_USERAGENT, "vaultops-health-gate"), "USERAGENT", errbuf)
                    try check(vaultops_curl_setopt_write(handle, CURLOPT_WRITEFUNCTION, probeWriteCallback), "WRITEFUNCTION", errbuf)
                    try check(vaultops_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, user), "WRITEDATA", errbuf)
                    try check(curl_easy_perform(handle), "perform", errbuf)
                    var status = 0
                    try check(vaultops_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "RESPONSE_CODE", errbuf)
                    return ProbeResponse(status: status, body: box.data)
                }
            }
        } catch let error as DeployError {
            throw error
        } catch {
            throw DeployError(.process, "\(error)")
        }
    }

    /// The one funnel from CURLcode to our error: libcurl's detailed message, else its generic one.
    private func check(_ code: CURLcode, _ step: String, _ errbuf: UnsafeMutableBufferPointer<CChar>) throws {
        guard code != CURLE_OK else { return }
        let detail = errbuf[0] != 0 ? String(cString: errbuf.baseAddress!) : String(cString: curl_easy_strerror(code))
        throw DeployError(.process, (step == "perform" ? "" : "setup (\(step)) failed: ") + "\(detail) (curl error \(code.rawValue))")
    }
}

@available(*, unavailable)
extension HTTPProbe: Sendable {}
