import Foundation
import Testing
import TestSupport
import VaultopsCore

/// A deploy setup around the little HTTP service: a SQLite source as the backup point, one stage that
/// (re)starts the service with $VERSION, an HTTP gate on /health. Version 3 is "bad" (its /health answers 500).
struct ServiceSetup {
    let folder: ServiceFolder
    let port: Int
    let config: URL
    let stateDir: URL
    let backupDir: URL

    init(_ label: String, extraDeploy: String = "", stageLogs: String? = nil, sqlite: String? = nil, expect: String = "ok") throws {
        folder = try ServiceFolder(label)
        port = try freePort()
        let root = folder.dir.url
        config = root.appendingPathComponent("vaultops.yml")
        stateDir = root.appendingPathComponent("state")
        backupDir = root.appendingPathComponent("backups")
        try FileManager.default.createDirectory(at: backupDir, withIntermediateDirectories: true)
        let db = root.appendingPathComponent("app.db")
        if let sqlite {
            try write(sqlite, to: db)
        } else {
            let r = try runProcess("sqlite3", [db.path, "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);"])
            guard r.status == 0 else { throw TestSupportError("sqlite3: \(r.stderr)") }
        }
        try write("SERVICE_BAD_VERSIONS=3\n", to: root.appendingPathComponent(".env"))
        try write("""
            backup_dir: \(backupDir.path)
            sources:
              - name: app
                sqlite: \(db.path)
            deploy:
              state_dir: \(stateDir.path)
              backup_point: [app]
              pre_deploy: echo "pre $VERSION" >> \(root.path)/hooks
              post_deploy: echo "post $VERSION" >> \(root.path)/hooks
              on_failure: echo "failure $VERSION $FAILED_STAGE" >> \(root.path)/hooks
              env: [SERVICE_BAD_VERSIONS]
            \(extraDeploy)
              stages:
                - name: web
                  run: sh \(deployFixtures.path)/start-service.sh \(root.path) \(port)
                  timeout: 20s\(stageLogs.map { "\n      logs: \($0)" } ?? "")
                  health:
                    http: http://127.0.0.1:\(port)/health
                    expect: \(expect)
                    start_period: 10s
                    interval: 200ms
                    timeout: 1s
                    retries: 3

            """, to: config)
    }

    func deploy(_ version: String, _ extra: [String] = []) throws -> ProcessResult {
        try vaultops(["deploy", "--config", config.path, "--version", version] + extra)
    }

    var health: (status: Int, body: String) { (try? httpGet("http://127.0.0.1:\(port)/health")) ?? (-1, "") }

    var hooks: [String] {
        ((try? String(contentsOf: folder.dir.file("hooks"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}

@Suite("deploy, rollback and releases commands", .serialized)
struct DeployCommandTests {
    @Test func deployOverAndFailedDeployRollsBackAutomatically() throws {
        let setup = try ServiceSetup("deploy")
        let first = try setup.deploy("1")
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(setup.health.body == "ok version 1")

        let second = try setup.deploy("2")
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(setup.health.body == "ok version 2")
        #expect(second.stdout.contains("release r0002: deploying 2 over 1 (r0001)"))
        #expect(second.stdout.contains("done: 2 deployed as r0002; every gate passed"))
        // The stage's environment: the start script echoes RELEASE and PREVIOUS_VERSION into the release log.
        let log2 = try String(contentsOf: setup.stateDir.appendingPathComponent("logs/r0002.log"), encoding: .utf8)
        #expect(log2.contains("started service 2 on port \(setup.port)"))
        #expect(log2.contains("release r0002, previous 1"))

        let third = try setup.deploy("3")
        #expect(third.status == 7, "\(third.stdout)\(third.stderr)")
        #expect(setup.health.status == 200)
        #expect(setup.health.body == "ok version 2")
        #expect(third.stdout.contains("gate web: unhealthy after"))
        #expect(third.stdout.contains("HTTP 500: broken version 3"))
        // The failed stage's output tail is shown.
        #expect(third.stdout.contains("last 1 lines of stage web (full log: \(setup.stateDir.path)/logs/r0003.log):\n  | started service 3 on port \(setup.port) (pid "))
        #expect(third.stdout.contains("), release r0003, previous 2\n"))
        #expect(third.stdout.contains("ROLLED BACK: stage web gate failed"))
        #expect(third.stdout.contains("rolled back to 2 (r0002), gates pass; data left alone"))
        #expect(setup.folder.stageRuns == ["1", "2", "3", "2"])
        #expect(setup.hooks == ["pre 1", "post 1", "pre 2", "post 2", "pre 3", "failure 3 web"])

        let (current, releases) = try releasesJSON(config: setup.config)
        #expect(current == "r0002")
        #expect(releases.map { $0["version"] as? String } == ["1", "2", "3"])
        #expect(releases.map { $0["outcome"] as? String } == ["succeeded", "succeeded", "rolled_back"])
        // Each release records its verified backup point, taken before anything changed.
        for release in releases {
            let points = try #require(release["backup_point"] as? [[String: Any]])
            #expect(points.count == 1)
            let path = try #require(points.first?["path"] as? String)
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(path.hasPrefix(setup.backupDir.path + "/app_"))
        }
        let steps = try #require(releases[2]["steps"] as? [[String: Any]])
        #expect(steps.map { "\($0["phase"]!) \($0["name"]!) \($0["ok"] as? Bool == true)" }
            == ["backup backup point true", "hook pre_deploy true", "deploy web true", "deploy web gate false",
                "hook on_failure true", "rollback web true", "rollback web gate true"])

        let table = try vaultops(["releases", "--config", setup.config.path])
        #expect(table.status == 0)
        let rows = table.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 4)
        #expect(rows[0].hasPrefix("  RELEASE  ACTION  VERSION  STARTED"))
        #expect(rows[0].hasSuffix("DURATION  OUTCOME      BACKUP POINT"))
        #expect(rows[2].hasPrefix("* r0002    deploy  2"))
        #expect(rows[3].hasPrefix("  r0003    deploy  3"))
        #expect(rows[3].contains("rolled_back  app_"))
    }

    @Test func firstDeployThatFailsHasNothingToRollBackTo() throws {
        let setup = try ServiceSetup("first", stageLogs: "echo \"service log of $VERSION ($FAILED_STAGE)\"")
        let r = try setup.deploy("3")
        #expect(r.status == 8, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("FAILED: stage web gate failed"))
        // The stage's logs: command is shown instead of the stage command's own output.
        #expect(r.stdout.contains("of logs of web (echo \"service log of $VERSION ($FAILED_STAGE)\") (full log: "))
        #expect(r.stdout.contains("\n  | service log of 3 (web)\n"))
        #expect(!r.stdout.contains("  | started service 3"))
        #expect(r.stdout.contains("nothing to roll back to (this was the first release)"))
        let (current, releases) = try releasesJSON(config: setup.config)
        #expect(current == nil)
        #expect(releases.map { $0["outcome"] as? String } == ["failed"])
    }

    @Test func dryRunPrintsThePlanAndChangesNothing() throws {
        let setup = try ServiceSetup("dry")
        let r = try setup.deploy("1", ["--dry-run"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("deploy 1 as the first release as r0001"))
        #expect(r.stdout.contains("stage 1 web: sh \(deployFixtures.path)/start-service.sh"))
        #expect(r.stdout.contains("gate: http GET http://127.0.0.1:\(setup.port)/health answers 2xx containing \"ok\"; start_period 10s, interval 200ms, timeout 1s, retries 3"))
        #expect(!FileManager.default.fileExists(atPath: setup.stateDir.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.backupDir.path).isEmpty)
        #expect(setup.folder.stageRuns.isEmpty)
    }

    @Test func deployWhileTheLockIsHeldExitsFourOrWaits() throws {
        let setup = try ServiceSetup("lock")
        // Hold the lock exactly as `vaultops run` does (it is the same file: Config.lockPath).
        let config = try ConfigLoader.load(from: setup.config)
        let lockPath = try #require(config.lockPath)
        #expect(lockPath == setup.stateDir.appendingPathComponent("vaultops.lock").path)
        var lock: ProcessLock? = try ProcessLock.acquire(path: lockPath, command: "vaultops run")
        let refused = try setup.deploy("1")
        #expect(refused.status == 4, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("held by pid \(getpid()) (vaultops run)"))
        #expect(setup.folder.stageRuns.isEmpty)
        #expect(try historyLines(setup.stateDir).isEmpty)

        // With lock_wait the deploy waits for the holder and then runs.
        let waiting = try ServiceSetup("lockwait", extraDeploy: "  lock_wait: 20s")
        let waitingLockPath = try #require(try ConfigLoader.load(from: waiting.config).lockPath)
        lock?.release()
        lock = nil
        // Another process holds it for 1.5 s (util-linux flock(1) takes the same flock(2) lock).
        try FileManager.default.createDirectory(at: waiting.stateDir, withIntermediateDirectories: true)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [waitingLockPath, "-c", "echo locked > \(waiting.folder.path)/held; sleep 1.5"]
        try holder.run()
        defer { holder.waitUntilExit() }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: waiting.folder.dir.file("held").path) { usleep(20_000) }
        let waited = try waiting.deploy("1")
        #expect(waited.status == 0, "\(waited.stdout)\(waited.stderr)")
        #expect(waited.stdout.contains("waiting up to 20s if another vaultops holds it"))
        #expect(waiting.folder.stageRuns == ["1"])
        #expect(waiting.health.body == "ok version 1")
    }

    @Test func backupPointThatFailsVerificationAbortsBeforeAnyStage() throws {
        let setup = try ServiceSetup("badbackup", sqlite: "this is not a SQLite database, it only has the name of one\n")
        let r = try setup.deploy("1")
        #expect(r.status == 6, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("backup point FAILED: backup of app failed"))
        #expect(r.stdout.contains("nothing was deployed"))
        #expect(setup.folder.stageRuns.isEmpty)
        #expect(setup.hooks.isEmpty, "pre_deploy must not run after a failed backup point")
        let (current, releases) = try releasesJSON(config: setup.config)
        #expect(current == nil)
        #expect(releases.map { $0["outcome"] as? String } == ["aborted"])
    }

    @Test func preflightMissingVariableAborts() throws {
        let setup = try ServiceSetup("preflight", extraDeploy: "  required_env: [REGISTRY_TOKEN_FOR_TEST]")
        let r = try setup.deploy("1")
        #expect(r.status == 6, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("preflight failed: required variable not set: REGISTRY_TOKEN_FOR_TEST"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.backupDir.path).isEmpty)
        #expect(setup.folder.stageRuns.isEmpty)
    }

    @Test func rollbackWithDataFromADamagedBackupPointRestoresNothing() throws {
        let setup = try ServiceSetup("damaged", extraDeploy: "  stop: echo \"stopped for $VERSION\" >> stops")
        #expect(try setup.deploy("1").status == 0)
        #expect(try setup.deploy("2").status == 0)
        let (_, releases) = try releasesJSON(config: setup.config)
        let point = try #require((releases[1]["backup_point"] as? [[String: Any]])?.first?["path"] as? String)
        // One flipped byte in the middle of the gzip stream.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: point))
        bytes[bytes.count / 2] ^= 0x5A
        try bytes.write(to: URL(fileURLWithPath: point))
        let db = setup.folder.dir.file("app.db").path
        #expect(try runProcess("sqlite3", [db, "INSERT INTO t VALUES (3)"]).status == 0)

        let r = try vaultops(["rollback", "--with-data", "--config", setup.config.path])
        #expect(r.status == 8, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("restore: app: FAILED: \(point): verification failed"))
        #expect(r.stdout.contains("nothing was restored"))
        #expect(r.stdout.contains("the stages were not run, so what stop: stopped stays stopped"))
        #expect(try runProcess("sqlite3", [db, "SELECT count(*) FROM t"]).stdout == "3\n")
        #expect(setup.folder.stageRuns == ["1", "2"])
        let stops = try String(contentsOf: setup.folder.dir.file("stops"), encoding: .utf8)
        #expect(stops == "stopped for 1\n")
        let after = try releasesJSON(config: setup.config)
        #expect(after.current == "r0002")
        #expect(after.releases.last?["outcome"] as? String == "failed")
    }

    @Test func interruptedDeployStopsTheStageAndIsRecorded() throws {
        let dir = try TempDir("interrupt")
        let config = dir.file("vaultops.yml")
        try write("""
            deploy:
              state_dir: \(dir.file("state").path)
              on_failure: echo ran >> on-failure
              stages:
                - name: slow
                  run: echo $$ > stage.pid; echo started > started; exec sleep 600
            """, to: config)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: vaultopsExecutable)
        process.arguments = ["deploy", "--config", config.path, "--version", "1"]
        let out = dir.file("out.txt")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The stage runs until the SIGINT stops it; 120 s for it to start is only a backstop for a stalled machine.
        for _ in 0..<4_800 where !FileManager.default.fileExists(atPath: dir.file("started").path) { usleep(25_000) }
        let stagePID = try #require(Int32(try String(contentsOf: dir.file("stage.pid"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 8)
        let printed = try String(contentsOf: out, encoding: .utf8)
        #expect(printed.contains("FAILED: stopped by SIGINT during stage slow failed: stopped: vaultops got SIGINT; not rolled back"))
        // The stage's process group got SIGTERM; no hook ran after the interruption.
        #expect(kill(stagePID, 0) != 0 || isZombie(stagePID))
        #expect(!FileManager.default.fileExists(atPath: dir.file("on-failure").path))
        let (_, releases) = try releasesJSON(config: config)
        #expect(releases.map { $0["outcome"] as? String } == ["failed"])
    }

    @Test func rollbackCommandRerunsThePreviousVersionAfterAFreshBackupPoint() throws {
        let setup = try ServiceSetup("rollback")
        #expect(try setup.deploy("1").status == 0)
        #expect(try setup.deploy("2").status == 0)
        let r = try vaultops(["rollback", "--config", setup.config.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("release r0003: rolling back to 1 (r0001), undoing r0002 (2, succeeded)"))
        #expect(r.stdout.contains("data left alone: no database was restored (add --with-data to restore the backup point of r0002"))
        #expect(setup.health.body == "ok version 1")
        let (current, releases) = try releasesJSON(config: setup.config)
        #expect(current == "r0003")
        #expect(releases.last?["action"] as? String == "rollback")
        #expect((releases.last?["backup_point"] as? [Any])?.count == 1)
        // Undo the rollback: version 2 again.
        let undo = try vaultops(["rollback", "--config", setup.config.path])
        #expect(undo.status == 0, "\(undo.stdout)\(undo.stderr)")
        #expect(setup.health.body == "ok version 2")
        let nothing = try vaultops(["rollback", "r0004", "--config", setup.config.path])
        #expect(nothing.status == 2)
        #expect(nothing.stderr.contains("r0004 (version 2) is the latest release: there is nothing after it to roll back"))
    }

    @Test func rollbackAfterAnAutomaticRollbackUndoesTheReleaseRunningNow() throws {
        let setup = try ServiceSetup("rollback-after-auto", expect: "ok version ${VERSION}")
        #expect(try setup.deploy("1").status == 0)
        #expect(try setup.deploy("2").status == 0)
        let third = try setup.deploy("3")
        #expect(third.status == 7, "\(third.stdout)\(third.stderr)")
        #expect(setup.health.body == "ok version 2")
        // The gate checked the version it expects, filled in when it ran.
        #expect(third.stdout.contains("containing \"ok version 3\""))
        #expect(third.stdout.contains("containing \"ok version 2\""))

        let r = try vaultops(["rollback", "--config", setup.config.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("release r0004: rolling back to 1 (r0001), undoing r0002 (2, succeeded), r0003 (3, rolled_back); "
                                  + "data left alone (--with-data would restore the backup point of r0002 (taken "))
        #expect(setup.health.body == "ok version 1")
        #expect(setup.folder.stageRuns == ["1", "2", "3", "2", "1"])
        let (current, releases) = try releasesJSON(config: setup.config)
        #expect(current == "r0004")
        #expect(releases.last?["version"] as? String == "1")
    }

    @Test func stagesSeeTheEnvFileAsEarlierStagesLeftItAndOnlyTheNamedKeys() throws {
        let dir = try TempDir("stage-env")
        let root = dir.url
        try write("TAG=old\nPASSED=from-dotenv\nNOT_NAMED=hidden\n", to: root.appendingPathComponent(".env"))
        let config = root.appendingPathComponent("vaultops.yml")
        try write("""
            deploy:
              state_dir: \(root.appendingPathComponent("state").path)
              env:
                PASSED:
                IMAGE: app:${VERSION}
                FROM_TAG: ${TAG}
              stages:
                - name: edit
                  run: sed -i "s/^TAG=.*/TAG=new-$VERSION/" .env
                - name: read
                  run: |
                    env > env-seen
                    # docker compose's rule: the environment wins over .env
                    [ -n "${TAG+set}" ] || . ./.env
                    echo "tag=$TAG from=$FROM_TAG image=$IMAGE passed=$PASSED" > seen
                  health:
                    command: grep -q "tag=new-${VERSION}" seen
                    retries: 0

            """, to: config)
        let r = try vaultops(["deploy", "--config", config.path, "--version", "2"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let seen = try String(contentsOf: root.appendingPathComponent("seen"), encoding: .utf8)
        #expect(seen == "tag=new-2 from=new-2 image=app:2 passed=from-dotenv\n")
        let env = try String(contentsOf: root.appendingPathComponent("env-seen"), encoding: .utf8).split(separator: "\n")
        #expect(!env.contains { $0.hasPrefix("NOT_NAMED=") || $0.hasPrefix("TAG=") })
        #expect(env.contains("VERSION=2"))
        #expect(env.contains("RELEASE=r0001"))
    }
}
