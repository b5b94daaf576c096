//  promtool.mjs - Prometheus's own checks, offline: the scrape config
//  (promtool check config), the autoscalers' PromQL (check rules), and what
//  those queries answer over made-up series (test rules)
//
//  promtool comes with Debian's prometheus package. When it is missing and
//  we are root, it is installed (as deploy/compose-test.sh does); failing
//  that, only these sub-checks are skipped, with a notice
//  (ZC_K8S_CHECK_NO_INSTALL=1 forbids the install, to try that path).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { BACKLOG } from "./scaling.mjs";
import { NAMESPACE } from "./policy.mjs";

function s_which (name) {
    for (const dir of (process.env.PATH || "").split (":"))
        if (dir && existsSync (join (dir, name)))
            return join (dir, name);
    return null;
}

//  promtool's path, installing Debian's prometheus when we may; null if none
export function findPromtool (report) {
    let tool = s_which ("promtool");
    if (tool || process.env.ZC_K8S_CHECK_NO_INSTALL)
        return tool;
    if (process.getuid?.() === 0 && s_which ("apt-get")) {
        report.note ("installing Debian's prometheus for promtool (once)");
        const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
        spawnSync ("apt-get", ["update", "-qq"], { stdio: "ignore", env, timeout: 300000 });
        spawnSync ("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "prometheus"],
                   { stdio: "ignore", env, timeout: 300000 });
        tool = s_which ("promtool");
    }
    return tool;
}

function s_run (tool, args, cwd) {
    const r = spawnSync (tool, args, { cwd, encoding: "utf8", timeout: 30000 });
    return { ok: r.status === 0, out: `${r.stdout || ""}${r.stderr || ""}`.trim ().split ("\n").slice (-4).join (" | ") };
}

//  prometheus: { text, files } of the render's prometheus.yml and its
//  ConfigMap's keys; queries: [{record, expr, expect}]
export function promtoolChecks (report, tool, label, prometheus, queries) {
    const dir = mkdtempSync (join (tmpdir (), "zc-k8s-check-"));
    try {
        if (prometheus) {
            //  the ConfigMap's other keys are files beside the config in the
            //  pod (alerts.yml): promtool checks the rule files it names
            for (const [name, text] of Object.entries (prometheus.files || {}))
                if (/^[-._a-zA-Z0-9]+$/.test (name) && name !== "prometheus.yml")
                    writeFileSync (join (dir, name), text);
            writeFileSync (join (dir, "prometheus.yml"), prometheus.text);
            const r = s_run (tool, ["check", "config", "prometheus.yml"], dir);
            report.check (r.ok, `${label}: promtool check config`, r.out);
        }
        if (!queries.length)
            return;
        const rules = { groups: [{ name: "zchain-k8s-check", rules: queries.map (q => ({ record: q.record, expr: q.expr })) }] };
        writeFileSync (join (dir, "rules.yml"), YAML.stringify (rules));
        const r = s_run (tool, ["check", "rules", "rules.yml"], dir);
        if (!report.check (r.ok, `${label}: promtool check rules (the autoscaler's PromQL)`, r.out))
            return;
        //  The sidecar's series as this render's Prometheus stores it (job,
        //  instance and service from the sidecar, namespace from the scrape
        //  config), a backlog of 10, and another node's 100 in another
        //  namespace: KEDA's query sums what its Prometheus holds (one node's,
        //  here), the adapter's must keep to the HPA's namespace.
        const series = (ns, v) => ({
            series: `${BACKLOG}{job="zchain",instance="metrics",service="validator",namespace="${ns}"}`,
            values: `${v}x4`,
        });
        const tests = queries.map (q => ({
            interval: "5s",
            input_series: q.expect === "sum" ? [series (NAMESPACE, 10)] : [series (NAMESPACE, 10), series ("elsewhere", 100)],
            promql_expr_test: [{
                expr: q.record, eval_time: "10s",
                exp_samples: [{ labels: q.expect === "sum" ? q.record : `${q.record}{service="validator"}`, value: 10 }],
            }],
        }));
        writeFileSync (join (dir, "test.yml"), YAML.stringify ({ rule_files: ["rules.yml"], evaluation_interval: "5s", tests }));
        const t = s_run (tool, ["test", "rules", "test.yml"], dir);
        report.check (t.ok, `${label}: promtool test rules (a backlog of 10 reads as 10)`, t.out);
    }
    finally {
        rmSync (dir, { recursive: true, force: true });
    }
}
