import Foundation
import VaultopsCore

/// The checks of an artifact that need no full read, made alike by `verify` and `restore`: not an unfinished
/// `.partial`, a name of a format vaultops reads, an existing file, and its manifest read when there is one.
package struct ArtifactPreflight: Sendable {
    package let format: ArtifactFormat
    /// The manifest beside the artifact, when there is one and it could be read.
    package let manifest: Manifest?
    /// Why the manifest beside it could not be read (`verify` reports it and goes on; `restore` refuses).
    package let manifestProblem: String?

    /// Why an artifact is not one to read at all.
    package struct Refusal: Error, Sendable {
        /// The format, when the name told it.
        package let format: ArtifactFormat?
        package let reason: String
    }

    /// Checks `artifact`; with `kind`, its name must be one of that kind's.
    package static func check(_ artifact: URL, kind: ArtifactKind? = nil) throws(Refusal) -> ArtifactPreflight {
        let fileName = artifact.lastPathComponent
        if fileName.hasSuffix(ArtifactName.partialSuffix) {
            throw Refusal(format: nil, reason: "an unfinished backup (.partial): it was never completed and is not a backup")
        }
        guard let format = ArtifactFormat.of(fileName: fileName), kind == nil || format.kind == kind else {
            let reason = kind.map { "not a \($0.handler.description) (expected \($0.handler.expectedEndings))" }
                ?? "not a vaultops artifact (expected \(ArtifactFormat.expectedEndings))"
            throw Refusal(format: nil, reason: reason)
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: artifact.path, isDirectory: &isDir), !isDir.boolValue else {
            throw Refusal(format: format, reason: "no such file")
        }
        let manifestURL = Manifest.sidecarURL(for: artifact)
        guard FileManager.default.fileExists(atPath: manifestURL.path) else {
            return ArtifactPreflight(format: format, manifest: nil, manifestProblem: nil)
        }
        do {
            return ArtifactPreflight(format: format, manifest: try Manifest.load(from: manifestURL), manifestProblem: nil)
        } catch {
            return ArtifactPreflight(format: format, manifest: nil, manifestProblem: "manifest unreadable: \(error)")
        }
    }
}
