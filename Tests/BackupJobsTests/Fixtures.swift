import BackupJobs
import Foundation
import VaultopsCore

/// A fixed clock point: 2026-01-15T02:00:00Z.
let t0 = Date(timeIntervalSince1970: 1_768_442_400)

/// A status with three sources: `db` failed (wrong password), `mms` fully done, `uploads` backed up but not uploaded.
func sampleStatus(exitCode: Int32 = 5, finishedAt: Date = t0.addingTimeInterval(90)) -> RunStatus {
    let ok = SourceStatus(name: "mms", kind: "sqlite", target: "/data/mms.db", backedUp: true, succeeded: true,
                          artifact: "mms_20260115.db.gz", sizeBytes: 2048, sha256: String(repeating: "a", count: 64),
                          createdAt: t0.addingTimeInterval(10), durationSeconds: 1.25, verified: true,
                          verification: ["gzip stream complete"],
                          upload: UploadStatus(location: "oss://b/nightly/mms_20260115.db.gz", ok: true, bytes: 2400, durationSeconds: 0.5, error: nil),
                          error: nil)
    let failed = SourceStatus(name: "db", kind: "postgres", target: "postgresql://app:***@db/app", backedUp: false, succeeded: false,
                              artifact: nil, sizeBytes: 0, sha256: nil, createdAt: nil, durationSeconds: 0.1, verified: false,
                              verification: [], upload: nil,
                              error: "connection to server failed: FATAL: password authentication failed for user \"app\"")
    let notUploaded = SourceStatus(name: "up\"loads", kind: "files", target: "/srv/uploads", backedUp: true, succeeded: false,
                                   artifact: "uploads_20260115.tar.gz", sizeBytes: 10_000, sha256: nil, createdAt: t0.addingTimeInterval(20),
                                   durationSeconds: 3, verified: true, verification: [],
                                   upload: UploadStatus(location: "oss://b/nightly/uploads_20260115.tar.gz", ok: false, bytes: 0,
                                                        durationSeconds: 9, error: "connection refused"),
                                   error: "upload to oss://b/nightly/uploads_20260115.tar.gz failed: connection refused")
    return RunStatus(host: "ecs-1", configFile: "/etc/vaultops/vaultops.yml", startedAt: t0, finishedAt: finishedAt, exitCode: exitCode,
                     dryRun: false, sources: [failed, ok, notUploaded],
                     prunes: [PruneStatus(store: "local", location: "/backups", ok: true, summary: "Removed 0 artifacts",
                                          kept: ["mms": 3, "up\"loads": 2])],
                     errors: []).merge(previous: nil)
}
