//  selftest.mjs - the checks can fail: known faults, each caught
//
//  Each fault is put into a copy of one render (or of compose.yaml as read,
//  or of a swarm stack made from it) and every check runs on the copy; the
//  fault must give at least one failure that matches what it should be
//  caught as. A fault that passes unnoticed fails make k8s-check.
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Report } from "./report.mjs";
import { compareSwarm } from "./consistency.mjs";
import { loadCompose } from "./compose.mjs";
import { find } from "./k8s.mjs";
import { EXCEPTIONS } from "../exceptions.mjs";

const c0 = (o, name) => o.spec.template.spec.containers.find (c => c.name === name);
const obj = (objs, kind, name) => {
    const o = objs.find (x => x.kind === kind && x.metadata.name.startsWith (name));
    if (!o)
        throw new Error (`self-test: no ${kind} ${name} to break`);
    return o;
};
const envCM = objs => objs.find (o => o.kind === "ConfigMap" && o.metadata.name.startsWith ("zchain-env"));

//  { why, render, schema?, promtool?, break (objects, compose), caught: RegExp }
const FAULTS = [
    { why: "a containerPort that is not a number", render: "base", schema: true,
      break: o => { c0 (obj (o, "Deployment", "metrics"), "metrics").ports [0].containerPort = "7790"; },
      caught: /schema: .*containerPort must be integer/ },
    { why: "a misspelt field", render: "base", schema: true,
      break: o => { c0 (obj (o, "StatefulSet", "storage"), "storage").readinessProbes = {}; },
      caught: /fields the schema does not know: .*readinessProbes/ },
    { why: "a kind no package models", render: "base", schema: true,
      break: o => { o.push ({ apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", metadata: { name: "x", namespace: "zchain" }, spec: {} }); },
      caught: /no schema for apiVersion monitoring\.coreos\.com\/v1 kind ServiceMonitor/ },
    { why: "a KEDA field misspelt", render: "keda", schema: true,
      break: o => { obj (o, "ScaledObject", "validator").spec.advanced.horizontalPodAutoscalerConfig.behaviour = {}; },
      caught: /fields the schema does not know: .*behaviour/ },
    { why: "a shared ZC_* value unlike compose's", render: "base",
      break: o => { envCM (o).data.ZC_NETWORK = "devnet"; },
      caught: /storage: ZC_NETWORK: compose\.yaml has "regtest", base has "devnet"/ },
    { why: "a ZC_* variable compose does not set", render: "base",
      break: o => { c0 (obj (o, "StatefulSet", "gateway"), "gateway").env.push ({ name: "ZC_RELAY_ONLY", value: "true" }); },
      caught: /ZC_RELAY_ONLY: base sets "true", compose\.yaml does not set it/ },
    { why: "a host name that is not the listed exception", render: "base",
      break: o => { envCM (o).data.ZC_STORAGE_API = "tcp://storage:7801"; },
      caught: /ZC_STORAGE_API: compose\.yaml has "tcp:\/\/storage:7801" \(host name: expected "tcp:\/\/storage-0\.storage:7801"\)/ },
    { why: "a ZC_* value compose changed", render: "base",
      break: (o, compose) => { compose.services.miner.zc.ZC_BLOCK_INTERVAL = "500"; },
      caught: /miner: ZC_BLOCK_INTERVAL: compose\.yaml has "500", base has "1000"/ },
    { why: "a container port moved", render: "base",
      break: o => { c0 (obj (o, "StatefulSet", "mempool"), "mempool").ports [2].containerPort = 7814; },
      caught: /mempool: container ports: compose\.yaml \[7811,7812,7813\], base \[7811,7812,7814\]/ },
    { why: "a probe that is not compose's healthcheck", render: "base",
      break: o => { c0 (obj (o, "StatefulSet", "storage"), "storage").readinessProbe.exec.command [2] = "tcp://127.0.0.1:7811"; },
      caught: /readinessProbe runs .*7811.*compose's healthcheck/ },
    { why: "compose's healthcheck retries changed", render: "base",
      break: (o, compose) => { compose.services.gateway.healthcheck.retries = 3; },
      caught: /readinessProbe fails after 5 misses; compose's retries 3/ },
    { why: "a liveness probe inside the watchdog's minute", render: "base",
      break: o => { c0 (obj (o, "Deployment", "validator"), "validator").livenessProbe.failureThreshold = 5; },
      caught: /livenessProbe kills after 25 s: not past the 60 s watchdog/ },
    { why: "a startup shorter than compose's start_period", render: "base",
      break: o => { c0 (obj (o, "StatefulSet", "mempool"), "mempool").startupProbe.failureThreshold = 6; },
      caught: /startupProbe allows 30 s; compose allows 80 s/ },
    { why: "a command other than compose's", render: "base",
      break: o => { c0 (obj (o, "Deployment", "miner"), "miner").args = ["zchain-validator"]; },
      caught: /compose runs \["zchain-miner"\]/ },
    { why: "a memory limit unlike compose's mem_limit", render: "base",
      break: o => { c0 (obj (o, "StatefulSet", "mempool"), "mempool").resources.limits.memory = "1Gi"; },
      caught: /memory limit 1Gi is not compose's mem_limit/ },
    { why: "a writable root filesystem", render: "base",
      break: o => { c0 (obj (o, "Deployment", "validator"), "validator").securityContext.readOnlyRootFilesystem = false; },
      caught: /validator container validator: securityContext needs .*readOnlyRootFilesystem/ },
    { why: "capabilities kept", render: "base",
      break: o => { obj (o, "StatefulSet", "gateway").spec.template.spec.initContainers [0].securityContext.capabilities = { add: ["NET_ADMIN"] }; },
      caught: /container keys: securityContext must drop ALL capabilities/ },
    { why: "root allowed", render: "base",
      break: o => { delete obj (o, "Deployment", "metrics").spec.template.spec.securityContext.runAsNonRoot; },
      caught: /pod securityContext needs runAsNonRoot/ },
    { why: "no seccomp profile", render: "base",
      break: o => { delete obj (o, "Deployment", "prometheus").spec.template.spec.securityContext.seccompProfile; },
      caught: /seccompProfile RuntimeDefault/ },
    { why: "no resource limits", render: "base",
      break: o => { delete c0 (obj (o, "Deployment", "miner"), "miner").resources.limits; },
      caught: /miner container miner: needs cpu and memory requests and limits/ },
    { why: "no /tmp on a read-only root", render: "base",
      break: o => { const c = c0 (obj (o, "Deployment", "metrics"), "metrics"); c.volumeMounts = c.volumeMounts.filter (m => m.mountPath !== "/tmp"); },
      caught: /\/tmp needs an emptyDir/ },
    { why: "a key Secret others can read", render: "base",
      break: o => { obj (o, "StatefulSet", "storage").spec.template.spec.volumes.find (v => v.secret).secret.defaultMode = 0o444; },
      caught: /defaultMode 0440 and not optional/ },
    { why: "the service reading the Secret itself", render: "base",
      break: o => { c0 (obj (o, "Deployment", "validator"), "validator").volumeMounts.push ({ name: "keys-secret", mountPath: "/var/lib/zchain/keyring/validator", readOnly: true }); },
      caught: /mounts the key Secret itself/ },
    { why: "another role's keys", render: "base",
      break: o => { obj (o, "Deployment", "miner").spec.template.spec.volumes.find (v => v.secret).secret.secretName = "zchain-keys-gateway"; },
      caught: /needs exactly one Secret volume, zchain-keys-miner/ },
    { why: "a key Secret in git", render: "base",
      break: o => { o.push ({ apiVersion: "v1", kind: "Secret", metadata: { name: "zchain-keys-storage", namespace: "zchain" }, data: {} }); },
      caught: /a Secret is in the render/ },
    { why: "a Service selecting nothing", render: "base",
      break: o => { obj (o, "Service", "metrics").spec.selector ["app.kubernetes.io/component"] = "metric"; },
      caught: /Service\/zchain\/metrics: selects \[\]/ },
    { why: "two storage replicas", render: "base",
      break: o => { obj (o, "StatefulSet", "storage").spec.replicas = 2; },
      caught: /StatefulSet\/zchain\/storage: a stateful service runs exactly one replica/ },
    { why: "the headless Service hiding a starting pod", render: "base",
      break: o => { delete obj (o, "Service", "mempool").spec.publishNotReadyAddresses; },
      caught: /headless Service mempool should publish not-ready pods/ },
    { why: "a missing budget", render: "base",
      break: o => { o.splice (o.indexOf (obj (o, "PodDisruptionBudget", "validator")), 1); },
      caught: /no PodDisruptionBudget validator/ },
    { why: "an internal port left out of the policy", render: "base",
      break: o => { const p = obj (o, "NetworkPolicy", "zchain-internal"); p.spec.ingress [0].ports = p.spec.ingress [0].ports.filter (x => x.port !== 7803); },
      caught: /storage: port 7803 \(work\) should be open to the node's own pods/ },
    { why: "an internal port opened to anyone", render: "base",
      break: o => { obj (o, "NetworkPolicy", "zchain-public").spec.ingress [0].ports.push ({ protocol: "TCP", port: 7781 }); },
      caught: /port 7781 \(api\) is internal but open to anyone/ },
    { why: "an internal port opened to another namespace", render: "base",
      break: o => { obj (o, "NetworkPolicy", "zchain-internal").spec.ingress [0].from.push ({ namespaceSelector: {} }); },
      caught: /lets in namespaces \{\}; no other namespace may/ },
    { why: "p2p closed", render: "base",
      break: o => { obj (o, "NetworkPolicy", "zchain-public").spec.ingress [0].ports.shift (); },
      caught: /port 7770 \(p2p\) is public/ },
    { why: "the autoscaled Deployment keeping spec.replicas", render: "keda",
      break: o => { obj (o, "Deployment", "validator").spec.replicas = 1; },
      caught: /spec\.replicas is set/ },
    { why: "a KEDA threshold other than the sidecar's target", render: "keda",
      break: o => { obj (o, "ScaledObject", "validator").spec.triggers [0].metadata.threshold = "5"; },
      caught: /threshold "5", want "2"/ },
    { why: "a KEDA query other than the backlog's", render: "keda",
      break: o => { obj (o, "ScaledObject", "validator").spec.triggers [0].metadata.query = "sum(zchain_work_queue_depth)"; },
      caught: /query "sum\(zchain_work_queue_depth\)"/ },
    { why: "a misspelt KEDA trigger setting", render: "keda",
      break: o => { const md = obj (o, "ScaledObject", "validator").spec.triggers [0].metadata; md.serverAdress = md.serverAddress; },
      caught: /trigger metadata serverAdress: not a prometheus scaler setting/ },
    { why: "KEDA asking another Prometheus", render: "keda",
      break: o => { obj (o, "ScaledObject", "validator").spec.triggers [0].metadata.serverAddress = "http://prometheus.monitoring.svc:9090"; },
      caught: /serverAddress http:\/\/prometheus\.monitoring\.svc:9090 should be/ },
    { why: "a scale-down window other than 300 s", render: "keda",
      break: o => { obj (o, "ScaledObject", "validator").spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds = 60; },
      caught: /scaleDown\.stabilizationWindowSeconds should be 300/ },
    { why: "a second autoscaler", render: "keda",
      break: (o, c, renders) => { o.push (structuredClone (obj (renders.hpa, "HorizontalPodAutoscaler", "validator"))); },
      caught: /1 ScaledObject and 1 HorizontalPodAutoscaler; keda should have 1 and 0/ },
    { why: "an HPA target other than 2 per replica", render: "hpa",
      break: o => { obj (o, "HorizontalPodAutoscaler", "validator").spec.metrics [0].external.target.averageValue = "8"; },
      caught: /want AverageValue 2/ },
    { why: "an HPA reading every service's backlog", render: "hpa",
      break: o => { delete obj (o, "HorizontalPodAutoscaler", "validator").spec.metrics [0].external.metric.selector; },
      caught: /metric selector should be matchLabels service: validator/ },
    { why: "bounds other than 1..8", render: "hpa",
      break: o => { obj (o, "HorizontalPodAutoscaler", "validator").spec.maxReplicas = 16; },
      caught: /replicas 1\.\.16, want 1\.\.8/ },
    { why: "an adapter rule exposing another name", render: "hpa",
      break: o => { const cm = obj (o, "ConfigMap", "adapter-config"); cm.data ["config.yaml"] = cm.data ["config.yaml"].replace ('as: "zchain_autoscale_backlog_jobs"', 'as: "backlog"'); },
      caught: /no external rule exposes zchain_autoscale_backlog_jobs/ },
    { why: "an adapter rule blind to the namespace", render: "hpa",
      break: o => { const cm = obj (o, "ConfigMap", "adapter-config"); cm.data ["config.yaml"] = cm.data ["config.yaml"].replace ("namespace: { resource: namespace }", "pod: { resource: pod }"); },
      caught: /should map a label to the namespace resource/ },
    { why: "adapter PromQL that does not parse", render: "hpa", promtool: true,
      break: o => { const cm = obj (o, "ConfigMap", "adapter-config"); cm.data ["config.yaml"] = cm.data ["config.yaml"].replace ("by (service)", "by (service"); },
      caught: /promtool check rules/ },
    { why: "an adapter query that sums every namespace", render: "hpa", promtool: true,
      break: o => { const cm = obj (o, "ConfigMap", "adapter-config"); cm.data ["config.yaml"] = cm.data ["config.yaml"].replace ("<<.Series>>{<<.LabelMatchers>>}", '<<.Series>>{service="validator"}'); },
      caught: /metricsQuery should use|promtool test rules/ },
    { why: "Prometheus scraping the ingest port", render: "base",
      break: o => { const cm = obj (o, "ConfigMap", "prometheus"); cm.data ["prometheus.yml"] = cm.data ["prometheus.yml"].replace ("metrics:7790", "metrics:7791"); },
      caught: /target metrics:7791 should be the sidecar's Service/ },
    { why: "a scrape config promtool refuses", render: "base", promtool: true,
      break: o => { const cm = obj (o, "ConfigMap", "prometheus"); cm.data ["prometheus.yml"] = cm.data ["prometheus.yml"].replace ("scrape_interval: 5s", "scrape_interval: 5 seconds"); },
      caught: /promtool check config/ },
    { why: "an object outside the namespace", render: "base",
      break: o => { obj (o, "Service", "prometheus").metadata.namespace = "default"; },
      caught: /namespace "default": every object belongs in zchain/ },
    { why: "a port the image does not EXPOSE", render: "base",
      break: o => { c0 (obj (o, "Deployment", "metrics"), "metrics").ports.push ({ name: "extra", containerPort: 7799 }); },
      caught: /port 7799 is not EXPOSEd by deploy\/Dockerfile/ },
];

//  swarm: a stack made from compose.yaml as read, then broken
const SWARM_FAULTS = [
    { why: "a swarm ZC_* value unlike compose's",
      break: s => { s.services.gateway.zc.ZC_P2P_ADVERTISE = "tcp://tasks.gateway:7770"; },
      caught: /swarm: gateway: ZC_P2P_ADVERTISE: compose\.yaml has "tcp:\/\/gateway:7770", swarm has "tcp:\/\/tasks\.gateway:7770"/ },
    { why: "a service swarm does not run",
      break: s => { delete s.services.miner; },
      caught: /swarm: miner: compose runs this service; stack\.yaml does not/ },
];

function s_caught (report, why, failures, caught) {
    return report.check (failures.some (f => caught.test (f)), "self-test",
        `the fault "${why}" was not caught as ${caught} (got: ${failures.slice (0, 3).join (" | ") || "no failure"})`);
}

export async function selfTest (report, renders, compose, RENDERS, options, checkRender) {
    let run = 0, caught = 0;
    for (const f of FAULTS) {
        if (f.promtool && !options.promtool)
            continue;
        const objects = structuredClone (renders [f.render]);
        const copy = structuredClone (compose);
        f.break (objects, copy, renders);
        const r = new Report ();
        const spec = RENDERS.find (x => x.mode === f.render);
        await checkRender (r, objects, spec, copy, { schema: !!f.schema, promtool: f.promtool ? options.promtool : null });
        caught += s_caught (report, f.why, r.failures, f.caught);
        run++;
    }
    for (const f of SWARM_FAULTS) {
        const swarm = structuredClone (compose);
        f.break (swarm);
        const r = new Report ();
        compareSwarm (r, compose, swarm, EXCEPTIONS.swarm);
        caught += s_caught (report, f.why, r.failures, f.caught);
        run++;
    }
    //  a stack file in swarm's long syntax is read as the same service
    const dir = mkdtempSync (join (tmpdir (), "zc-k8s-selftest-"));
    try {
        const file = join (dir, "stack.yaml");
        writeFileSync (file, [
            "services:",
            "  metrics:",
            "    image: zchain:latest",
            "    environment: [ZC_METRICS_HTTP=0.0.0.0:7790, ZC_METRICS_INGEST=tcp://0.0.0.0:7791]",
            "    ports: [{ target: 7790, published: \"${ZC_METRICS_PORT:-7790}\", mode: host }]",
            "    deploy: { resources: { limits: { memory: 256M, cpus: \"0.5\" } } }",
        ].join ("\n"));
        const m = loadCompose (file).services.metrics;
        caught += report.check (JSON.stringify (m.ports) === "[7790,7791]" && m.memory === 256 * 2 ** 20 && m.cpus === 0.5,
            "self-test", `a long-syntax stack file reads wrong: ${JSON.stringify (m)}`);
        run++;
    }
    finally {
        rmSync (dir, { recursive: true, force: true });
    }
    report.note (`self-test: ${caught} of ${run} faults put in were caught` +
                 (options.promtool ? "" : " (the promtool ones not run)"));
}
