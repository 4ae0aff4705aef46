import ArgumentParser
import Artifacts
import Foundation
import Replication
import VaultopsCore

/// `vaultops verify ARTIFACT...`: read every artifact end to end and compare it with its manifest.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check artifacts: full gzip read (CRC-32, length), SHA-256 and size against the manifest.",
        discussion: """
        Exit status 3 when any artifact or replica fails. --replica SOURCE checks the replica of a source with \
        'replicate:' where the config sends it (its oss: prefix, else backup_dir): every generation has its snapshot, \
        its WAL segments form a chain from 0 without a gap, and each segment decodes and matches its SHA-256; a \
        failure names the generation and the segment. \
        Artifacts: The content's format is checked from its start too (SQLite's \
        header, the first tar header). --deep also integrity-checks SQLite snapshots, checks every tar entry \
        by the rules restore applies, and restores dumps into a scratch database (which needs --server or \
        DATABASE_URL; without one it is a usage error, exit 2). *.manifest.json arguments are skipped.
        Encrypted artifacts (.age) are checked without a key: the age header, and the encrypted file's size and \
        SHA-256 against the manifest. With --identity (or --passphrase-file) they are decrypted, every chunk \
        authenticated, and the content checked as above; --deep needs the identity. A missing or wrong identity \
        is exit 2 (when nothing failed verification).
        """
    )

    @Argument(help: "Artifacts to check.")
    var artifacts: [String] = []

    @Option(name: .customLong("replica"),
            help: "Check this source's replica (replicate:) at the config's destination: every generation's snapshot and segment chain (repeatable).")
    var replicas: [String] = []

    @OptionGroup var config: ConfigOption

    @Flag(help: "Also check the content: SQLite integrity_check and row counts, tar listing, dumps restored into a scratch database.")
    var deep = false

    @Option(help: "PostgreSQL server for --deep on dumps: a scratch database is created there and dropped (default: $DATABASE_URL).")
    var server: String?

    @OptionGroup var identity: IdentityOptions

    func validate() throws {
        guard !artifacts.isEmpty || !replicas.isEmpty else {
            throw ValidationError("name at least one artifact to verify (or --replica SOURCE)")
        }
    }

    func run() throws {
        var failed = try verifyReplicas()
        guard !artifacts.isEmpty else {
            if failed > 0 {
                printError("vaultops: \(failed) of \(replicas.count) replicas failed verification")
                throw CommandExit(code: .verificationFailed)
            }
            return
        }
        // `verify DIR/*` names the manifests too: each is checked with its artifact, so skip them.
        let manifests = artifacts.filter { $0.hasSuffix(Manifest.sidecarSuffix) }
        let targets = artifacts.filter { !$0.hasSuffix(Manifest.sidecarSuffix) }
        if !manifests.isEmpty {
            printError("vaultops: skipped \(manifests.count) manifest file\(manifests.count == 1 ? "" : "s") (each is checked with its artifact)")
        }
        guard !targets.isEmpty else { throw ValidationError("no artifact to verify, only manifests; name the artifacts") }
        let serverURL = server ?? ProcessInfo.processInfo.environment["DATABASE_URL"]
        if deep, serverURL?.isEmpty ?? true,
           let dump = targets.first(where: { ArtifactFormat.of(fileName: URL(fileURLWithPath: $0).lastPathComponent)?.kind.handler.deepCheckNeedsServer == true }) {
            throw ValidationError("--deep restores a dump (\(dump)) into a scratch database: give a server with --server URL or DATABASE_URL")
        }
        let keys = try identity.keys(for: targets)
        var unopened = 0
        for path in targets {
            let report = Verifier.verify(URL(fileURLWithPath: path), deep: deep, serverURL: serverURL, keys: keys)
            if report.ok {
                print("ok     \(path): \(report.checks.joined(separator: "; "))")
            } else if report.keyProblem {
                unopened += 1
                print("NO KEY \(path): \(report.problems.joined(separator: "; "))")
            } else {
                failed += 1
                print("FAILED \(path): \(report.problems.joined(separator: "; "))")
            }
        }
        if failed > 0 {
            printError("vaultops: \(failed) of \(targets.count + replicas.count) artifacts and replicas failed verification")
            throw CommandExit(code: .verificationFailed)
        }
        if unopened > 0 {
            printError("vaultops: \(unopened) of \(targets.count) encrypted artifacts could not be opened with the keys given")
            throw CommandExit(code: .usage)
        }
    }

    /// Checks each `--replica` source; returns how many failed (a gap, a damaged segment, no generation at all).
    func verifyReplicas() throws -> Int {
        guard !replicas.isEmpty else { return 0 }
        guard let loaded = try config.load() else {
            throw ValidationError("--replica needs the config (--config FILE or VAULTOPS_CONFIG) to find the replica")
        }
        let backend = try ReplicationService.destination(config: loaded, settings: OSSCommand.settings(config: loaded))
        var failed = 0
        for source in replicas {
            guard loaded.source(named: source) != nil else {
                throw ValidationError("--replica \(source): no such source in \(loaded.file)")
            }
            let label = "replica \(backend.location)\(ReplicaLayout(source: source).root)"
            let checks = try verifyReplica(source: source, on: backend)
            guard !checks.isEmpty else {
                failed += 1
                print("FAILED \(label): no generation (has 'vaultops replicate' run for \(source)?)")
                continue
            }
            var bad = false
            for (index, check) in checks.enumerated() {
                if check.isHealthy {
                    print("ok     \(label)\(check.generation): \(check.summary)")
                } else if check.isStarting && index == checks.count - 1 {
                    print("ok     \(label)\(check.generation): starting (snapshot stored, segment 0 not yet)")
                } else {
                    bad = true
                    print("FAILED \(label)\(check.generation): \(check.problems.joined(separator: "; "))")
                }
            }
            if bad { failed += 1 }
        }
        return failed
    }
}
