@testable import BackupJobs
import Foundation
import Testing
import TestSupport

@Suite("metrics textfile")
struct MetricsTests {
    @Test("label values are escaped as the exposition format requires", arguments: [
        ("db", "db"), ("a\"b", "a\\\"b"), ("back\\slash", "back\\\\slash"), ("two\nlines", "two\\nlines"), ("数据库", "数据库"),
    ])
    func escape(value: String, expected: String) {
        #expect(MetricsTextfile.escape(value) == expected)
    }

    @Test("the rendered families and samples")
    func render() {
        let text = MetricsTextfile.render(sampleStatus())
        let expected = [
            "# TYPE vaultops_run_last_timestamp_seconds gauge",
            "vaultops_run_last_timestamp_seconds 1768442490",
            "vaultops_run_duration_seconds 90.000",
            "vaultops_run_exit_code 5",
            "vaultops_source_last_run_success{source=\"db\"} 0",
            "vaultops_source_last_run_success{source=\"mms\"} 1",
            "vaultops_source_last_success_timestamp_seconds{source=\"mms\"} 1768442410",
            "vaultops_source_bytes{source=\"mms\"} 2048",
            "vaultops_source_verified{source=\"up\\\"loads\"} 1",
            "vaultops_source_uploaded{source=\"mms\"} 1",
            "vaultops_source_uploaded{source=\"up\\\"loads\"} 0",
            "vaultops_source_artifacts{source=\"mms\",location=\"local\"} 3",
            "vaultops_source_artifacts{source=\"db\",location=\"local\"} 0",
            "vaultops_prune_success{location=\"local\"} 1",
        ]
        let lines = Set(text.split(separator: "\n").map(String.init))
        for line in expected { #expect(lines.contains(line), "missing: \(line)") }
        // A source that never succeeded has no last-success sample (absent, not a misleading 0).
        #expect(!text.contains("vaultops_source_last_success_timestamp_seconds{source=\"db\"}"))
        #expect(!text.contains("vaultops_source_uploaded{source=\"db\"}"))
        #expect(text.hasSuffix("\n"))
    }

    @Test("the official Prometheus Python parser reads the file with the same values")
    func prometheusParserInterop() throws {
        let dir = try TempDir("metrics")
        let path = dir.file("vaultops.prom").path
        try MetricsTextfile.write(sampleStatus(), to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
        let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = {}
        for family in text_string_to_metric_families(open(sys.argv[1]).read()):
            assert family.type == "gauge", family
            for s in family.samples:
                key = s.name + "".join("|%s=%s" % kv for kv in sorted(s.labels.items()))
                out[key] = s.value
        print(json.dumps(out, sort_keys=True))
        """
        let r = try runProcess("python3", ["-c", script, path])
        try #require(r.status == 0, "prometheus_client could not parse the file (pip install prometheus_client): \(r.stderr)")
        let values = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Double])
        #expect(values["vaultops_run_exit_code"] == 5)
        #expect(values["vaultops_source_bytes|source=mms"] == 2048)
        #expect(values["vaultops_source_artifacts|location=local|source=up\"loads"] == 2)
        #expect(values["vaultops_source_last_run_success|source=db"] == 0)
        #expect(values.count == MetricsTextfile.render(sampleStatus()).split(separator: "\n").filter { !$0.hasPrefix("#") }.count)
    }

    @Test("per-step timestamps: a failed upload leaves the upload's at its last success (0 when never), the backup's advances")
    func perStepTimestamps() {
        let first = sampleStatus()
        let lines = Set(MetricsTextfile.render(first).split(separator: "\n").map(String.init))
        for line in [
            "vaultops_source_last_backup_success_timestamp_seconds{source=\"mms\"} 1768442410",
            "vaultops_source_last_backup_success_timestamp_seconds{source=\"up\\\"loads\"} 1768442420",
            "vaultops_source_last_backup_success_timestamp_seconds{source=\"db\"} 0",
            "vaultops_source_last_upload_success_timestamp_seconds{source=\"mms\"} 1768442410",
            "vaultops_source_last_upload_success_timestamp_seconds{source=\"up\\\"loads\"} 0",
        ] {
            #expect(lines.contains(line), "missing: \(line)")
        }
        // The next night mms backs up but its upload fails: the backup's time moves on, the upload's stays.
        var next = sampleStatus(finishedAt: t0.addingTimeInterval(86_490))
        next.sources = next.sources.map { source in
            var source = source
            source.lastSuccess = nil
            source.lastUploadSuccess = nil
            if source.name == "mms" {
                source.createdAt = t0.addingTimeInterval(86_410)
                source.upload?.ok = false
                source.succeeded = false
            }
            return source
        }
        let text = MetricsTextfile.render(next.merge(previous: first))
        #expect(text.contains("vaultops_source_last_backup_success_timestamp_seconds{source=\"mms\"} 1768528810\n"), "\(text)")
        #expect(text.contains("vaultops_source_last_upload_success_timestamp_seconds{source=\"mms\"} 1768442410\n"), "\(text)")
        #expect(!text.contains("vaultops_source_last_drill_success_timestamp_seconds"), "no drill configured: no drill sample")
    }
}
