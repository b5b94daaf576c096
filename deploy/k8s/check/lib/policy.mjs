//  policy.mjs - what every render of deploy/k8s must be, beyond its schema
//
//  The node's shape (which service is which kind, one replica of the
//  stateful ones, volumes), the restricted pod security profile, resources
//  and probes on every container, the CURVE keys from their Secrets to a
//  0600 copy, Services and budgets that select what they mean to, and
//  NetworkPolicies that leave the internal ports to the node's own pods.
import { ref, isWorkload, podSpec, podLabels, containers, initContainers, mainContainer,
         selects, serviceSelects, find, effectiveEnv, quantity, same } from "./k8s.mjs";
import { bindPort } from "./compose.mjs";

export const NAMESPACE = "zchain";
const ZCHAIN_IMAGE = "zchain:latest";
const PART_OF = { "app.kubernetes.io/part-of": "zchain" };

//  name -> kind; nothing else may run
const WORKLOADS = {
    storage: "StatefulSet", mempool: "StatefulSet", gateway: "StatefulSet",
    validator: "Deployment", miner: "Deployment", metrics: "Deployment",
    prometheus: "Deployment",
};

//  the roles whose keys a pod gets: one Secret each, made by the operator
export const KEY_ROLES = ["storage", "mempool", "validator", "miner", "gateway", "metrics"];

//  objects that live outside the node's namespace, and why
const ELSEWHERE = {
    "ConfigMap/monitoring/adapter-config": "prometheus-adapter reads its config in its own namespace",
};

//  budgets: name -> the field that must be there and its value
const BUDGETS = {
    storage: ["minAvailable", 1], mempool: ["minAvailable", 1], gateway: ["minAvailable", 1],
    validator: ["maxUnavailable", 1], miner: ["maxUnavailable", 1],
};

//  ports that anyone may reach, by the gateway variable that binds them
const PUBLIC_VARS = ["ZC_P2P", "ZC_HTTP"];

//  Prometheus's query api: KEDA and prometheus-adapter ask it from these
const PROMETHEUS_CLIENTS = ["keda", "monitoring"];

export function checkPolicy (report, objects, label) {
    const at = o => `${label}: ${ref (o)}`;
    s_namespaces (report, objects, label);
    const workloads = objects.filter (isWorkload);
    for (const [name, kind] of Object.entries (WORKLOADS))
        report.check (workloads.some (w => w.metadata.name === name && w.kind === kind), label,
            `no ${kind} ${name}`);
    for (const w of workloads) {
        if (!report.check (WORKLOADS [w.metadata.name] === w.kind, at (w),
                `not one of the node's workloads (${JSON.stringify (WORKLOADS)})`))
            continue;
        s_pod (report, w, objects, at (w));
        if (w.kind === "StatefulSet")
            s_statefulset (report, w, objects, at (w));
    }
    report.check (!objects.some (o => o.kind === "Secret"), label,
        "a Secret is in the render: the key Secrets are the operator's (kubectl create secret), never in git");
    const named = new Set (workloads.flatMap (w => (podSpec (w).volumes || [])
        .filter (v => v.secret).map (v => v.secret.secretName)));
    report.check (same ([...named].sort (), KEY_ROLES.map (r => `zchain-keys-${r}`).sort ()), label,
        `the pods use the Secrets ${JSON.stringify ([...named].sort ())}, not one per role ` +
        `(${KEY_ROLES.map (r => `zchain-keys-${r}`).join (", ")})`);
    for (const svc of objects.filter (o => o.kind === "Service"))
        s_service (report, svc, workloads, at (svc));
    for (const [name, [field, value]] of Object.entries (BUDGETS)) {
        const pdb = find (objects, "PodDisruptionBudget", name, NAMESPACE);
        if (!report.check (!!pdb, label, `no PodDisruptionBudget ${name}`))
            continue;
        report.check (pdb.spec [field] === value, at (pdb), `${field} should be ${value}`);
        const hit = workloads.filter (w => selects (pdb.spec.selector, podLabels (w)));
        report.check (hit.length === 1 && hit [0].metadata.name === name, at (pdb),
            `selects ${JSON.stringify (hit.map (w => w.metadata.name))}, not just ${name}`);
    }
    s_network (report, objects, workloads, label);
}

function s_namespaces (report, objects, label) {
    const ns = find (objects, "Namespace", NAMESPACE);
    if (report.check (!!ns, label, `no Namespace ${NAMESPACE}`))
        report.check (ns.metadata.labels?.["pod-security.kubernetes.io/enforce"] === "restricted",
            `${label}: ${ref (ns)}`, "does not enforce the restricted Pod Security Standard");
    for (const o of objects) {
        if (o.kind === "Namespace")
            continue;
        const where = o.metadata?.namespace;
        const key = `${o.kind}/${where}/${o.metadata?.name}`;
        report.check (where === NAMESPACE || (where && ELSEWHERE [key]), `${label}: ${ref (o)}`,
            `namespace ${JSON.stringify (where)}: every object belongs in ${NAMESPACE}`);
    }
}

function s_pod (report, w, objects, where) {
    const pod = podSpec (w);
    const sc = pod.securityContext || {};
    const zchain = containers (w).some (c => c.image === ZCHAIN_IMAGE);
    report.check (pod.automountServiceAccountToken === false, where,
        "automountServiceAccountToken should be false: nothing here talks to the Kubernetes api");
    report.check (sc.runAsNonRoot === true && Number.isInteger (sc.runAsUser) && sc.runAsUser > 0, where,
        "pod securityContext needs runAsNonRoot: true and a runAsUser other than 0");
    report.check (sc.seccompProfile?.type === "RuntimeDefault", where,
        "pod securityContext needs seccompProfile RuntimeDefault");
    report.check (!pod.hostNetwork && !pod.hostPID && !pod.hostIPC, where, "uses the host's namespaces");
    if (zchain) {
        report.check (sc.runAsUser === 10001 && sc.fsGroup === 10001, where,
            "zchain runs as uid 10001 (deploy/Dockerfile), with fsGroup 10001 for its volumes and keys");
        //  compose's init: true, an init process that reaps what probes leave
        report.check (pod.shareProcessNamespace === true, where,
            "shareProcessNamespace should be true (the pause process reaps, as compose's init: true)");
    }
    report.check (!!mainContainer (w), where, `no container named ${w.metadata.name}`);
    const volumes = new Map ((pod.volumes || []).map (v => [v.name, v]));
    const claims = new Set ((w.spec.volumeClaimTemplates || []).map (t => t.metadata.name));
    const used = new Set ();
    const inits = new Set (initContainers (w));
    for (const c of [...initContainers (w), ...containers (w)]) {
        const cw = `${where} container ${c.name}`;
        const csc = c.securityContext || {};
        report.check (csc.allowPrivilegeEscalation === false && csc.readOnlyRootFilesystem === true
                    && csc.privileged !== true, cw,
            "securityContext needs allowPrivilegeEscalation: false and readOnlyRootFilesystem: true");
        report.check ((csc.capabilities?.drop || []).includes ("ALL") && !(csc.capabilities?.add || []).length,
            cw, "securityContext must drop ALL capabilities and add none");
        report.check (csc.runAsUser === undefined || csc.runAsUser > 0, cw, "runs as root");
        const r = c.resources || {};
        const both = ["cpu", "memory"].every (k => r.requests?.[k] !== undefined && r.limits?.[k] !== undefined);
        if (report.check (both, cw, "needs cpu and memory requests and limits"))
            for (const k of ["cpu", "memory"])
                report.check (quantity (r.requests [k]) <= quantity (r.limits [k]), cw,
                    `${k} request ${r.requests [k]} above its limit ${r.limits [k]}`);
        report.check (c.image === ZCHAIN_IMAGE || /^prom\/prometheus:v\d/.test (c.image), cw,
            `image ${c.image}: the node runs ${ZCHAIN_IMAGE} (and prom/prometheus)`);
        report.check (c.imagePullPolicy === "IfNotPresent", cw,
            "imagePullPolicy should be IfNotPresent (a :latest image is otherwise pulled at every start)");
        if (c.image === ZCHAIN_IMAGE && !inits.has (c))
            report.check ((c.volumeMounts || []).some (m => m.mountPath === "/tmp" && volumes.get (m.name)?.emptyDir),
                cw, "the root filesystem is read-only: /tmp needs an emptyDir");
        for (const m of c.volumeMounts || []) {
            used.add (m.name);
            report.check (volumes.has (m.name) || claims.has (m.name), cw,
                `mounts ${m.name}, which is no volume or claim template`);
        }
    }
    for (const c of containers (w))
        report.check (!!c.readinessProbe && !!c.livenessProbe, `${where} container ${c.name}`,
            "needs a readinessProbe and a livenessProbe");
    for (const name of [...volumes.keys (), ...claims])
        report.check (used.has (name), where, `volume ${name} is mounted nowhere`);
    for (const v of volumes.values ()) {
        if (v.configMap)
            report.check (!!find (objects, "ConfigMap", v.configMap.name, w.metadata.namespace), where,
                `volume ${v.name} names ConfigMap ${v.configMap.name}, which the render does not hold`);
        if (v.persistentVolumeClaim)
            report.check (!!find (objects, "PersistentVolumeClaim", v.persistentVolumeClaim.claimName,
                                  w.metadata.namespace), where,
                `volume ${v.name} names PersistentVolumeClaim ${v.persistentVolumeClaim.claimName}, ` +
                "which the render does not hold");
    }
    if (zchain)
        s_keys (report, w, objects, volumes, where);
}

//  The keys: Secret zchain-keys-ROLE (0440 under fsGroup: zchain refuses a
//  secret others can read, and kubelet adds group read to any Secret file
//  when fsGroup is set) -> init container `keys` copies it to an in-memory
//  emptyDir as 0600 -> the service reads that, read-only, at ZC_KEYS.
function s_keys (report, w, objects, volumes, where) {
    const role = w.metadata.name;
    const secret = [...volumes.values ()].filter (v => v.secret);
    if (!report.check (secret.length === 1 && secret [0].secret.secretName === `zchain-keys-${role}`, where,
            `needs exactly one Secret volume, zchain-keys-${role}`))
        return;
    const sv = secret [0];
    report.check (sv.secret.defaultMode === 0o440 && sv.secret.optional !== true, where,
        `Secret volume ${sv.name}: defaultMode 0440 and not optional`);
    const init = initContainers (w).find (c => c.name === "keys");
    const main = mainContainer (w);
    if (!report.check (!!init && !!main, where, "needs an init container `keys`"))
        return;
    const keyring = `/var/lib/zchain/keyring/${role}`;
    const { env } = effectiveEnv (main, objects, w.metadata.namespace);
    const dir = env.ZC_KEYS;
    const secretMount = (init.volumeMounts || []).find (m => m.name === sv.name);
    report.check (secretMount?.mountPath === keyring && secretMount.readOnly === true, where,
        `init container keys should mount ${sv.name} read-only at ${keyring}`);
    const copy = (init.volumeMounts || []).find (m => m.mountPath === dir);
    const copyVolume = copy && volumes.get (copy.name);
    report.check (!!copyVolume?.emptyDir && copyVolume.emptyDir.medium === "Memory" && !copy.readOnly, where,
        `init container keys should write the keys to an in-memory emptyDir at ZC_KEYS (${dir})`);
    const script = (init.command || []).join (" ");
    report.check (script.includes (`${keyring}/${role}.key_secret`) && script.includes (`${keyring}/*.key`)
                && script.includes (`${dir}/`) && /chmod 600 \S*\*\.key_secret/.test (script), where,
        `init container keys should check ${role}.key_secret, copy ${keyring}/*.key* to ${dir} and chmod 600 the secrets`);
    for (const c of [...initContainers (w), ...containers (w)])
        if (c !== init)
            report.check (!(c.volumeMounts || []).some (m => m.name === sv.name), `${where} container ${c.name}`,
                "mounts the key Secret itself: only the init container may (its files are 0440)");
    const mainMount = (main.volumeMounts || []).find (m => m.name === copy?.name);
    report.check (mainMount?.mountPath === dir && mainMount.readOnly === true, where,
        `the service should mount the copied keys read-only at ZC_KEYS (${dir})`);
}

function s_statefulset (report, w, objects, where) {
    report.check (w.spec.replicas === 1, where, "a stateful service runs exactly one replica");
    report.check ((w.spec.volumeClaimTemplates || []).length > 0, where, "needs volumeClaimTemplates");
    const svc = find (objects, "Service", w.spec.serviceName, w.metadata.namespace);
    report.check (!!svc && svc.spec.clusterIP === "None" && serviceSelects (svc, podLabels (w)), where,
        `serviceName ${w.spec.serviceName} should be a headless Service that selects its pods`);
    if (svc)
        report.check (svc.spec.publishNotReadyAddresses === true, `${where}`,
            `headless Service ${svc.metadata.name} should publish not-ready pods ` +
            "(the others connect by name while it starts; its readiness is its own ping)");
}

function s_service (report, svc, workloads, where) {
    const hit = workloads.filter (w => w.metadata.namespace === svc.metadata.namespace
                                    && serviceSelects (svc, podLabels (w)));
    if (!report.check (hit.length === 1, where,
            `selects ${JSON.stringify (hit.map (w => w.metadata.name))}: a Service fronts exactly one workload`))
        return;
    const ports = containers (hit [0]).flatMap (c => c.ports || []);
    for (const p of svc.spec.ports || []) {
        const target = p.targetPort ?? p.port;
        const cp = ports.find (c => c.name === target || c.containerPort === target);
        if (report.check (!!cp, where, `port ${p.name ?? p.port}: targetPort ${target} is no containerPort of ${hit [0].metadata.name}`))
            report.check (p.port === cp.containerPort, where,
                `port ${p.port} forwards to ${cp.containerPort}: the same numbers everywhere, as in compose`);
    }
}

//  Who may open a connection to port on a pod: "anyone", or the list of
//  peers ({podSelector} | {namespaceSelector,...} | {ipBlock}) of every rule
//  that lets it in. No policy selecting the pod means anyone.
function s_sources (policies, labels, port, portName) {
    const mine = policies.filter (p => selects (p.spec.podSelector, labels)
        && (p.spec.policyTypes || ["Ingress"]).includes ("Ingress"));
    if (mine.length === 0)
        return { selected: false, anyone: true, peers: [] };
    let anyone = false;
    const peers = [];
    for (const p of mine)
        for (const rule of p.spec.ingress || []) {
            const ports = rule.ports || [];
            if (ports.length && !ports.some (x => x.port === port || (portName && x.port === portName)))
                continue;
            if (!rule.from || rule.from.length === 0)
                anyone = true;
            else
                peers.push (...rule.from);
        }
    return { selected: true, anyone, peers };
}

function s_network (report, objects, workloads, label) {
    const policies = objects.filter (o => o.kind === "NetworkPolicy");
    const gateway = workloads.find (w => w.metadata.name === "gateway");
    const genv = gateway ? effectiveEnv (mainContainer (gateway), objects, NAMESPACE).env : {};
    const publicPorts = PUBLIC_VARS.map (v => bindPort (genv [v] || "")).filter (p => p !== null);
    report.check (publicPorts.length === PUBLIC_VARS.length, label,
        `the gateway should bind ${PUBLIC_VARS.join (" and ")} on every interface`);
    const node = workloads.filter (w => podLabels (w) ["app.kubernetes.io/part-of"] === "zchain");
    report.check (node.length === workloads.length, label, "every pod should carry app.kubernetes.io/part-of: zchain");
    for (const w of workloads) {
        const where = `${label}: ${ref (w)}`;
        for (const c of containers (w))
            for (const cp of c.ports || []) {
                const port = cp.containerPort;
                const src = s_sources (policies, podLabels (w), port, cp.name);
                const tag = `port ${port} (${cp.name})`;
                if (!report.check (src.selected, where, "no NetworkPolicy selects these pods: anyone may connect"))
                    break;
                if (w === gateway && publicPorts.includes (port)) {
                    report.check (src.anyone, where, `${tag} is public (${PUBLIC_VARS.join (", ")}): open it to anyone`);
                    continue;
                }
                report.check (!src.anyone && !src.peers.some (p => p.ipBlock), where,
                    `${tag} is internal but open to anyone or to addresses outside the cluster`);
                const own = src.peers.filter (p => p.podSelector && !p.namespaceSelector);
                const others = src.peers.filter (p => p.namespaceSelector);
                report.check (own.length > 0 && own.every (p => Object.entries (PART_OF).every (
                        ([k, v]) => p.podSelector.matchLabels?.[k] === v))
                    && node.every (n => own.some (p => selects (p.podSelector, podLabels (n)))), where,
                    `${tag} should be open to the node's own pods, by the label app.kubernetes.io/part-of: zchain`);
                const allowed = w.metadata.name === "prometheus" ? PROMETHEUS_CLIENTS : [];
                for (const p of others) {
                    const names = p.namespaceSelector.matchExpressions?.find (e =>
                        e.key === "kubernetes.io/metadata.name" && e.operator === "In")?.values;
                    report.check (!p.podSelector && Object.keys (p.namespaceSelector).length === 1 && names
                                && names.every (n => allowed.includes (n)), where,
                        `${tag} lets in namespaces ${JSON.stringify (p.namespaceSelector)}; ` +
                        (allowed.length ? `only ${allowed.join (", ")} may come` : "no other namespace may"));
                }
            }
    }
}
