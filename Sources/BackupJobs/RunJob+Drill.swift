import Artifacts
import Foundation
import VaultopsCore

/// How a source's trial restore (`drill:`) went in the last run.
public struct DrillStatus: Codable, Sendable, Equatable {
    /// Where it restored, credentials hidden (`postgres://…/scratch`, `a temporary folder`).
    public var target: String
    public var ok: Bool
    public var durationSeconds: Double
    /// What was compared (`3 tables, 1200 rows match the manifest`), when it succeeded.
    public var details: String?
    /// Why it failed, already redacted.
    public var error: String?

    public init(target: String, ok: Bool, durationSeconds: Double, details: String? = nil, error: String? = nil) {
        self.target = target
        self.ok = ok
        self.durationSeconds = durationSeconds
        self.details = details
        self.error = error
    }
}

extension RunJob {
    /// Restores tonight's verified artifact into the source's drill target, compares it with the manifest, removes
    /// the scratch copy again, and records the result; a failed drill fails the source.
    static func drill(_ result: inout SourceRunResult, drill: DrillTarget, log: (String) -> Void) {
        let started = Date()
        guard result.backedUp, let artifact = result.artifact else {
            result.drill = DrillStatus(target: drill.description, ok: false, durationSeconds: 0,
                                       error: "not run: tonight's backup has no verified artifact")
            return
        }
        log("source \(result.name): drill: restoring \(artifact.lastPathComponent) into \(drill)")
        do {
            let manifest = try Manifest.load(from: Manifest.sidecarURL(for: artifact))
            // An encrypted artifact drills from its decrypted copy: the host needs the identity for that
            // ($VAULTOPS_IDENTITY_FILE); without one the drill fails and says so.
            let details = try ArtifactDecryption.withPlaintext(of: artifact, keys: try DecryptionKeys.load()) { plain in
                try manifest.kind.handler.drill(plain, manifest: manifest, into: drill)
            }
            result.drill = DrillStatus(target: drill.description, ok: true, durationSeconds: Date().timeIntervalSince(started),
                                       details: details)
            log("source \(result.name): drill ok: \(details)")
        } catch {
            let text = oneLine(Redacted.text(String(describing: error)))
            result.drill = DrillStatus(target: drill.description, ok: false, durationSeconds: Date().timeIntervalSince(started),
                                       error: text)
            let message = "drill into \(drill) failed: \(text)"
            result.error = result.error.map { "\($0); \(message)" } ?? message
        }
    }
}
