import Foundation
import Testing
@testable import Retention

private let utc = TimeZone(identifier: "UTC")!
private let now = ISO8601DateFormatter().date(from: "2025-04-15T12:00:00Z")!

private func object(_ name: String, size: Int64 = 10, age: TimeInterval? = 3600,
                    kind: StoredObject.Kind = .file) -> StoredObject {
    StoredObject(name: name, size: size, modified: age.map { now.addingTimeInterval(-$0) }, kind: kind)
}

/// Where a name ends up in a plan.
enum Placement: String, Sendable {
    case artifact, ignored, partial, orphanManifest, multipartUpload
}

@Suite("Prune plan (pure)")
struct PrunePlanTests {
    @Test("which names prune touches", arguments: [
        (object("db_20250401.sql.gz"), Placement.artifact),
        (object("mms_20250401_020000.db.gz"), .artifact),
        (object("uploads_20250401_020000-2.tar.gz"), .artifact),
        (object("my_app_db_20250401.sql.gz"), .artifact),
        (object("db_20250402.sql.gz.manifest.json"), .orphanManifest),
        (object("db_20250401.sql.gz.partial"), .partial),
        (object("db_20250401.sql.gz.manifest.json.partial"), .partial),
        (object("notes.txt"), .ignored),
        (object("db_latest.sql.gz"), .ignored),
        (object("db_20251341.sql.gz"), .ignored),
        (object("db_20250230.sql.gz"), .ignored),
        (object("db_2025041.sql.gz"), .ignored),
        (object("db_20250401.sql"), .ignored),
        (object("db_20250401_000000-1.sql.gz"), .ignored),
        (object(".db_20250401.sql.gz.swp"), .ignored),
        (object("db_20250401.sql.gz", kind: .other), .ignored),
        (object("db_20250401.sql.gz", kind: .multipartUpload(uploadID: "u1")), .multipartUpload),
        (object("random.bin", kind: .multipartUpload(uploadID: "u2")), .ignored),
    ])
    func placement(_ candidate: StoredObject, _ expected: Placement) {
        // A verified backup of another source, so every plan has something to keep.
        let anchor = [object("other_20250414.sql.gz"), object("other_20250414.sql.gz.manifest.json")]
        let summaries = ["other_20250414.sql.gz.manifest.json": ManifestSummary(createdAt: nil, byteSize: 10)]
        let plan = PrunePlan.make(objects: anchor + [candidate], manifests: summaries, policy: .init(keepDays: 30),
                                  now: now, timeZone: utc)
        var placed: [Placement] = []
        if plan.artifacts.contains(where: { $0.object == candidate }) { placed.append(.artifact) }
        for leftover in plan.leftovers where leftover.object == candidate {
            switch leftover.kind {
            case .partial: placed.append(.partial)
            case .orphanManifest: placed.append(.orphanManifest)
            case .multipartUpload: placed.append(.multipartUpload)
            }
        }
        if plan.ignored.contains(candidate.name) { placed.append(.ignored) }
        #expect(placed == [expected])
        #expect(plan.artifacts.contains { $0.object.name == "other_20250414.sql.gz" && $0.decision.keep })
    }

    @Test("source names may hold underscores")
    func sourceWithUnderscores() {
        let plan = PrunePlan.make(objects: [object("my_app_db_20250401.sql.gz")], manifests: [:],
                                  policy: .init(keepDays: 30), now: now, timeZone: utc)
        #expect(plan.artifacts.map(\.decision.artifact.source) == ["my_app_db"])
    }

    @Test("two kinds of backup under one source name are judged apart")
    func kindsApart() {
        // `mms.db` (SQLite) and the folder `mms` both default to source `mms`.
        var objects: [StoredObject] = []
        var summaries: [String: ManifestSummary] = [:]
        for name in ["mms_20250101.db.gz", "mms_20250102.db.gz", "mms_20250410.tar.gz", "mms_20250411.tar.gz"] {
            objects += [object(name), object(name + ".manifest.json")]
            summaries[name + ".manifest.json"] = ManifestSummary(createdAt: nil, byteSize: 10)
        }
        let plan = PrunePlan.make(objects: objects, manifests: summaries, policy: .init(keepLast: 1), now: now, timeZone: utc)
        let reasons = plan.artifacts.map { "\($0.object.name) \($0.decision.reason)" }
        #expect(reasons == [
            "mms_20250102.db.gz kept: newest verified backup of source mms (db.gz); one of the last 1",
            "mms_20250101.db.gz removed: not selected by keep_last 1",
            "mms_20250411.tar.gz kept: newest verified backup of source mms (tar.gz); one of the last 1",
            "mms_20250410.tar.gz removed: not selected by keep_last 1",
        ])
    }

    @Test("a plan first counts an artifact as a candidate when its manifest is there and its size matches (its content is checked before it anchors anything)", arguments: [
        // (manifest present, recorded size, read problem, verified, warning fragment)
        (false, nil as Int64?, nil as String?, false, nil as String?),
        (true, 10, nil, true, nil),
        (true, 11, nil, false, "size 10 differs from the manifest's 11"),
        (true, nil, "cannot open the file: Permission denied", false, "cannot open the file: Permission denied"),
    ])
    func verified(_ hasManifest: Bool, _ recorded: Int64?, _ problem: String?, _ expected: Bool, _ warning: String?) {
        var objects = [object("db_20250401.sql.gz", size: 10)]
        var summaries: [String: ManifestSummary] = [:]
        var problems: [String: String] = [:]
        if hasManifest {
            objects.append(object("db_20250401.sql.gz.manifest.json"))
            if let recorded { summaries["db_20250401.sql.gz.manifest.json"] = ManifestSummary(createdAt: nil, byteSize: recorded) }
            if let problem { problems["db_20250401.sql.gz.manifest.json"] = problem }
        }
        let plan = PrunePlan.make(objects: objects, manifests: summaries, policy: .init(keepDays: 30), now: now,
                                  timeZone: utc, readProblems: problems)
        #expect(plan.artifacts.first?.decision.artifact.verified == expected)
        if let warning {
            #expect(plan.warnings.contains { $0.contains(warning) }, "\(plan.warnings)")
        } else {
            #expect(plan.warnings.isEmpty)
        }
    }

    @Test("an artifact's time comes from its manifest, else its name, in the host's time zone")
    func timeOrigin() throws {
        let shanghai = TimeZone(identifier: "Asia/Shanghai")!
        let created = ISO8601DateFormatter().date(from: "2025-04-13T18:05:00Z")!
        let objects = [object("db_20250414.sql.gz"), object("db_20250414.sql.gz.manifest.json"),
                       object("db_20250413_021500.sql.gz")]
        let plan = PrunePlan.make(objects: objects,
                                  manifests: ["db_20250414.sql.gz.manifest.json": ManifestSummary(createdAt: created, byteSize: 10)],
                                  policy: .init(keepDays: 30), now: now, timeZone: shanghai)
        let byName = Dictionary(uniqueKeysWithValues: plan.artifacts.map { ($0.object.name, $0) })
        let fromManifest = try #require(byName["db_20250414.sql.gz"])
        #expect(fromManifest.takenFrom == .manifest)
        #expect(fromManifest.decision.artifact.takenAt == created)
        let fromName = try #require(byName["db_20250413_021500.sql.gz"])
        #expect(fromName.takenFrom == .name)
        // 02:15 in Shanghai is 18:15 UTC the day before.
        #expect(fromName.decision.artifact.takenAt == ISO8601DateFormatter().date(from: "2025-04-12T18:15:00Z")!)
    }

    @Test("partials and multipart uploads go after a day", arguments: [
        (object("db_20250415.sql.gz.partial", age: 23 * 3600), false),
        (object("db_20250415.sql.gz.partial", age: 25 * 3600), true),
        (object("db_20250415.sql.gz.partial", age: nil), false),
        (object("db_20250401.sql.gz.manifest.json.partial", age: 14 * 86_400), true),
        (object("db_20250415.sql.gz", age: 2 * 3600, kind: .multipartUpload(uploadID: "a")), false),
        (object("db_20250413.sql.gz", age: 2 * 86_400, kind: .multipartUpload(uploadID: "b")), true),
    ])
    func leftovers(_ leftover: StoredObject, _ removed: Bool) throws {
        let plan = PrunePlan.make(objects: [leftover], manifests: [:], policy: .init(keepDays: 30), now: now, timeZone: utc)
        let entry = try #require(plan.leftovers.first)
        #expect(entry.remove == removed)
        #expect(entry.reason.hasPrefix(removed ? "removed: " : "kept: "))
        #expect(plan.removals == (removed ? [leftover] : []))
    }

    // A backup renames its manifest into place just before its artifact's `.partial`: a prune that runs in
    // between (prune alone takes no lock) must not take that manifest for an orphan, or the artifact would
    // appear a moment later with no manifest.
    @Test("a manifest whose artifact is still a fresh .partial is kept with it; stale, both go", arguments: [
        (23.0 * 3600, false),
        (25.0 * 3600, true),
    ])
    func manifestBesideItsPartial(partialAge: TimeInterval, removed: Bool) throws {
        let manifest = object("db_20250415.sql.gz.manifest.json", age: 60)
        let partial = object("db_20250415.sql.gz.partial", age: partialAge)
        let plan = PrunePlan.make(objects: [manifest, partial], manifests: [:], policy: .init(keepDays: 30), now: now, timeZone: utc)
        let kept = plan.leftovers.filter { !$0.remove }.map(\.object.name).sorted()
        #expect(kept == (removed ? [] : ["db_20250415.sql.gz.manifest.json", "db_20250415.sql.gz.partial"]))
        let entry = try #require(plan.leftovers.first { $0.kind == .orphanManifest })
        #expect(entry.reason == (removed ? "removed: manifest without its artifact"
                                         : "kept: its artifact is still being written (a .partial less than a day old)"))
        #expect(plan.artifacts.isEmpty)
    }

    @Test("each removed artifact goes before its manifest; kept ones are not touched")
    func removalOrder() {
        var objects: [StoredObject] = []
        var summaries: [String: ManifestSummary] = [:]
        for day in 1...9 {
            let name = "db_2025040\(day).sql.gz"
            objects += [object(name), object(name + ".manifest.json")]
            summaries[name + ".manifest.json"] = ManifestSummary(createdAt: nil, byteSize: 10)
        }
        let plan = PrunePlan.make(objects: objects.reversed(), manifests: summaries, policy: .init(keepLast: 3),
                                  now: now, timeZone: utc)
        let names = plan.removals.map(\.name)
        #expect(names == (1...6).reversed().flatMap { ["db_2025040\($0).sql.gz", "db_2025040\($0).sql.gz.manifest.json"] })
    }
}
