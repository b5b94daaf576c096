//  scaling.mjs - the autoscalers (KEDA, HPA + prometheus-adapter) and the
//  Prometheus they read, as configured in each render
import { readFileSync } from "node:fs";
import YAML from "yaml";
import { ref, find, mainContainer, effectiveEnv, quantity, same } from "./k8s.mjs";
import { bindPort } from "./compose.mjs";
import { NAMESPACE } from "./policy.mjs";

export const BACKLOG = "zchain_autoscale_backlog_jobs";
export const KEDA_QUERY = `sum(${BACKLOG}{service="validator"})`;
const MIN = 1, MAX = 8, DOWN_WINDOW_S = 300;
//  the sidecar's ZC_AUTOSCALE_TARGET default: jobs per validator
const TARGET_DEFAULT = 2;
//  what KEDA's prometheus scaler reads from a trigger's metadata
const KEDA_PROMETHEUS_KEYS = ["serverAddress", "query", "threshold", "activationThreshold", "namespace",
                              "customHeaders", "ignoreNullValues", "queryParameters", "unsafeSsl",
                              "timeout", "authModes"];

//  The validators' target per replica: the sidecar's setting, or its default
function s_target (objects) {
    const metrics = find (objects, "Deployment", "metrics", NAMESPACE);
    const c = metrics && mainContainer (metrics);
    const env = c ? effectiveEnv (c, objects, NAMESPACE).env : {};
    return env.ZC_AUTOSCALE_TARGET ? Number (env.ZC_AUTOSCALE_TARGET) : TARGET_DEFAULT;
}

function s_behavior (report, behavior, where) {
    report.check (behavior?.scaleDown?.stabilizationWindowSeconds === DOWN_WINDOW_S, where,
        `scaleDown.stabilizationWindowSeconds should be ${DOWN_WINDOW_S}`);
    report.check ((behavior?.scaleUp?.stabilizationWindowSeconds ?? 0) === 0, where,
        "scaleUp.stabilizationWindowSeconds should be 0 (up at once)");
    for (const dir of ["scaleUp", "scaleDown"])
        report.check (behavior?.[dir]?.tolerance === undefined, where,
            `${dir}.tolerance is set: the 10 % is the controller's default, and the field is alpha`);
}

//  mode: base, keda or hpa. Returns the PromQL the autoscaler will run (for
//  promtool), or null.
export function checkScaling (report, objects, label, mode) {
    const at = o => `${label}: ${ref (o)}`;
    const validator = find (objects, "Deployment", "validator", NAMESPACE);
    const scaled = objects.filter (o => o.kind === "ScaledObject");
    const hpas = objects.filter (o => o.kind === "HorizontalPodAutoscaler");
    const target = s_target (objects);
    const want = { base: [0, 0], keda: [1, 0], hpa: [0, 1] } [mode];
    report.check (scaled.length === want [0] && hpas.length === want [1], label,
        `${scaled.length} ScaledObject and ${hpas.length} HorizontalPodAutoscaler; ${mode} should have ` +
        `${want [0]} and ${want [1]} (two autoscalers on one Deployment fight)`);
    if (!validator)
        return null;
    if (mode === "base")
        report.check (validator.spec.replicas === 1, at (validator), "the base runs one validator");
    else
        report.check (validator.spec.replicas === undefined, at (validator),
            "spec.replicas is set: every apply would reset what the autoscaler chose");
    const targetRef = { apiVersion: "apps/v1", kind: "Deployment", name: "validator" };
    const out = { queries: [] };
    for (const so of scaled) {
        const s = so.spec;
        report.check (same (s.scaleTargetRef, targetRef), at (so), `scaleTargetRef should be ${JSON.stringify (targetRef)}`);
        report.check (s.minReplicaCount === MIN && s.maxReplicaCount === MAX, at (so),
            `replicas ${s.minReplicaCount}..${s.maxReplicaCount}, want ${MIN}..${MAX}`);
        s_behavior (report, s.advanced?.horizontalPodAutoscalerConfig?.behavior, at (so));
        const triggers = s.triggers || [];
        if (!report.check (triggers.length === 1 && triggers [0].type === "prometheus", at (so),
                "needs exactly one trigger, of type prometheus"))
            continue;
        const t = triggers [0];
        const md = t.metadata || {};
        report.check ((t.metricType ?? "AverageValue") === "AverageValue", at (so),
            "metricType should be AverageValue: the threshold is per replica");
        for (const k of Object.keys (md))
            report.check (KEDA_PROMETHEUS_KEYS.includes (k), at (so), `trigger metadata ${k}: not a prometheus scaler setting`);
        report.check (md.query === KEDA_QUERY, at (so), `query ${JSON.stringify (md.query)}, want ${KEDA_QUERY}`);
        report.check (md.threshold === String (target), at (so),
            `threshold ${JSON.stringify (md.threshold)}, want "${target}" (the sidecar's ZC_AUTOSCALE_TARGET)`);
        s_server (report, objects, md.serverAddress, at (so));
        out.queries.push ({ record: "keda_query", expr: md.query, expect: "sum" });
    }
    for (const hpa of hpas) {
        const s = hpa.spec;
        report.check (hpa.apiVersion === "autoscaling/v2", at (hpa), "should be autoscaling/v2");
        report.check (same (s.scaleTargetRef, targetRef), at (hpa), `scaleTargetRef should be ${JSON.stringify (targetRef)}`);
        report.check (s.minReplicas === MIN && s.maxReplicas === MAX, at (hpa),
            `replicas ${s.minReplicas}..${s.maxReplicas}, want ${MIN}..${MAX}`);
        s_behavior (report, s.behavior, at (hpa));
        const m = s.metrics || [];
        if (!report.check (m.length === 1 && m [0].type === "External", at (hpa), "needs exactly one External metric"))
            continue;
        const ext = m [0].external;
        report.check (ext.metric?.name === BACKLOG, at (hpa), `metric ${ext.metric?.name}, want ${BACKLOG}`);
        report.check (same (ext.metric?.selector, { matchLabels: { service: "validator" } }), at (hpa),
            "metric selector should be matchLabels service: validator");
        report.check (ext.target?.type === "AverageValue" && quantity (ext.target.averageValue) === target,
            at (hpa), `target ${JSON.stringify (ext.target)}, want AverageValue ${target}`);
        const q = s_adapter (report, objects, ext.metric, hpa.metadata.namespace, label);
        if (q)
            out.queries.push ({ record: "adapter_query", expr: q, expect: "by service" });
    }
    out.prometheus = s_prometheus (report, objects, label);
    return out;
}

//  KEDA's serverAddress must be this render's Prometheus Service
function s_server (report, objects, address, where) {
    let url;
    try {
        url = new URL (address);
    }
    catch {
        report.fail (where, `serverAddress ${JSON.stringify (address)} is not a URL`);
        return;
    }
    const [name, ns, svcword] = url.hostname.split (".");
    const svc = find (objects, "Service", name, ns);
    report.check (url.protocol === "http:" && svcword === "svc" && !!svc
                && (svc.spec.ports || []).some (p => p.port === Number (url.port)), where,
        `serverAddress ${address} should be http://SERVICE.NAMESPACE.svc:PORT of the render's Prometheus ` +
        "(KEDA asks from its own namespace)");
}

//  prometheus-adapter's external rule for metric: the PromQL it will run
function s_adapter (report, objects, metric, namespace, label) {
    const cm = find (objects, "ConfigMap", "adapter-config", "monitoring");
    const where = `${label}: ConfigMap/monitoring/adapter-config`;
    if (!report.check (!!cm && typeof cm.data?.["config.yaml"] === "string", label,
            "no ConfigMap monitoring/adapter-config with a config.yaml (prometheus-adapter's --config)"))
        return null;
    let config;
    try {
        config = YAML.parse (cm.data ["config.yaml"]);
    }
    catch (e) {
        report.fail (where, `config.yaml is not YAML: ${e.message.split ("\n") [0]}`);
        return null;
    }
    const rules = config?.externalRules;
    if (!report.check (Array.isArray (rules) && rules.length > 0, where, "config.yaml has no externalRules"))
        return null;
    //  the name a rule exposes a series under (name.as, $1... from matches)
    const exposed = r => {
        const m = new RegExp (r.name?.matches ?? "^(.*)$").exec (BACKLOG);
        return m ? (r.name?.as ?? "$1").replace (/\$(\d)/g, (_, i) => m [Number (i)] ?? "") : null;
    };
    const rule = rules.find (r => exposed (r) === metric.name);
    if (!report.check (!!rule, where, `no external rule exposes ${metric.name}`))
        return null;
    report.check (typeof rule.seriesQuery === "string" && rule.seriesQuery.startsWith (BACKLOG + "{")
                || rule.seriesQuery?.includes (`__name__="${BACKLOG}"`), where,
        `seriesQuery ${JSON.stringify (rule.seriesQuery)} should select ${BACKLOG}`);
    const overrides = rule.resources?.overrides || {};
    const nsLabel = Object.keys (overrides).find (k => overrides [k]?.resource === "namespace");
    report.check (!!nsLabel && rule.resources?.namespaced !== false, where,
        "the rule should map a label to the namespace resource, so an HPA sees only its own namespace's series");
    const q = rule.metricsQuery;
    if (!report.check (typeof q === "string" && q.includes ("<<.Series>>") && q.includes ("<<.LabelMatchers>>"), where,
            "metricsQuery should use <<.Series>> and <<.LabelMatchers>>"))
        return null;
    //  the HPA's request: its selector, and its namespace under nsLabel
    const matchers = [...Object.entries (metric.selector?.matchLabels || {}), [nsLabel, namespace]]
        .map (([k, v]) => `${k}="${v}"`).join (",");
    return q.replaceAll ("<<.Series>>", BACKLOG).replaceAll ("<<.LabelMatchers>>", matchers)
            .replaceAll ("<<.GroupBy>>", "service");
}

//  The Prometheus Deployment's config file: scrapes the sidecar Service as
//  deploy/prometheus.yml does in compose. Returns { text, files } for
//  promtool: the config, and every key of its ConfigMap (the rule files it
//  loads sit next to it, as in the pod).
function s_prometheus (report, objects, label) {
    const prom = find (objects, "Deployment", "prometheus", NAMESPACE);
    if (!prom)
        return null;
    const where = `${label}: ${ref (prom)}`;
    const c = mainContainer (prom);
    const args = c?.args || [];
    const file = args.find (a => a.startsWith ("--config.file="))?.slice ("--config.file=".length);
    const mount = (c?.volumeMounts || []).find (m => file?.startsWith (m.mountPath + "/"));
    const volume = mount && (prom.spec.template.spec.volumes || []).find (v => v.name === mount.name);
    const cm = volume?.configMap && find (objects, "ConfigMap", volume.configMap.name, NAMESPACE);
    const key = file?.slice (mount?.mountPath.length + 1);
    if (!report.check (!!cm && typeof cm.data?.[key] === "string", where,
            `--config.file ${file} should be a key of a mounted ConfigMap`))
        return null;
    let config;
    try {
        config = YAML.parse (cm.data [key]);
    }
    catch (e) {
        report.fail (where, `${key} is not YAML: ${e.message.split ("\n") [0]}`);
        return null;
    }
    const jobs = config?.scrape_configs || [];
    const job = jobs.find (j => j.job_name === "zchain");
    if (!report.check (jobs.length === 1 && !!job, where, `${key} should hold one scrape job, zchain`))
        return { text: cm.data [key], files: cm.data };
    const targets = (job.static_configs || []).flatMap (s => s.targets || []);
    report.check (job.honor_labels === true, where, "job zchain needs honor_labels: true (the sidecar's service and instance labels)");
    report.check (targets.length === 1 && (job.static_configs || []).length === 1, where,
        "job zchain should scrape one static target, the sidecar's Service");
    const [host, port] = (targets [0] || "").split (":");
    const svc = find (objects, "Service", host, NAMESPACE);
    const metrics = find (objects, "Deployment", "metrics", NAMESPACE);
    const menv = metrics ? effectiveEnv (mainContainer (metrics), objects, NAMESPACE).env : {};
    report.check (!!svc && (svc.spec.ports || []).some (p => p.port === Number (port))
                && bindPort (menv.ZC_METRICS_HTTP || "") === Number (port), where,
        `target ${targets [0]} should be the sidecar's Service and its ZC_METRICS_HTTP port`);
    report.check (job.static_configs [0].labels?.namespace === NAMESPACE, where,
        `the target should carry the label namespace: ${NAMESPACE} (prometheus-adapter matches on it)`);
    //  and the same job as compose's Prometheus
    try {
        const compose = YAML.parse (readFileSync (new URL ("../../../prometheus.yml", import.meta.url), "utf8"));
        const cj = compose.scrape_configs.find (j => j.job_name === "zchain");
        report.check (config.global?.scrape_interval === compose.global?.scrape_interval
                    && cj && cj.honor_labels === job.honor_labels
                    && same (cj.static_configs.flatMap (s => s.targets), targets), where,
            "the zchain job should scrape as deploy/prometheus.yml does (interval, honor_labels, target)");
    }
    catch (e) {
        report.fail (where, `cannot compare with deploy/prometheus.yml: ${e.message}`);
    }
    return { text: cm.data [key], files: cm.data };
}
