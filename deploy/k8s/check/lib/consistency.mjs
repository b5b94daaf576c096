//  consistency.mjs - compose.yaml, deploy/swarm/stack.yaml and the manifests agree
//
//  For every service of the zchain image that compose runs: each ZC_*
//  variable has the same value in the other (or the listed exception),
//  neither sets a ZC_* variable the other does not, and the container
//  listens on the same ports. Against the manifests also: the command,
//  the healthcheck as probes, the mounts and the limits.
import { bindPort } from "./compose.mjs";
import { ref, isWorkload, mainContainer, effectiveEnv, quantity, same } from "./k8s.mjs";

//  value with compose host names replaced by the orchestrator's
function s_rehost (value, hosts) {
    return value.replace (/^(tcp|http):\/\/([^:/]+)(?=[:/])/, (all, scheme, host) =>
        `${scheme}://${hosts [host] ?? host}`);
}

//  The value the other side must have, and the reason when it is an exception
function s_expected (service, name, value, exceptions) {
    const listed = exceptions.values.find (e => e.service === service && e.variable === name
                                             && e.compose === value);
    if (listed)
        return { value: listed.other, why: listed.why };
    const rehosted = s_rehost (value, exceptions.hosts);
    return { value: rehosted, why: rehosted !== value ? "host name" : null };
}

function s_show (v) {
    return v === undefined ? "(not set)" : JSON.stringify (v);
}

//  ZC_* of one service: compose's against other's
export function compareEnv (report, service, compose, other, label, exceptions, composeLabel = "compose.yaml") {
    for (const [name, value] of Object.entries (compose)) {
        const want = s_expected (service, name, value, exceptions);
        report.check (other [name] === want.value, `${label}: ${service}`,
            `${name}: ${composeLabel} has ${s_show (value)}` +
            (want.value !== value ? ` (${want.why}: expected ${s_show (want.value)})` : "") +
            `, ${label} has ${s_show (other [name])}`);
    }
    for (const name of Object.keys (other))
        if (name.startsWith ("ZC_") && !Object.hasOwn (compose, name)
        &&  !Object.hasOwn (exceptions.extra?.[service] ?? {}, name))
            report.fail (`${label}: ${service}`,
                `${name}: ${label} sets ${s_show (other [name])}, ${composeLabel} does not set it`);
}

function s_ports (report, service, want, have, label, composeLabel = "compose.yaml") {
    const a = [...want].sort ((x, y) => x - y), b = [...have].sort ((x, y) => x - y);
    report.check (same (a, b), `${label}: ${service}`,
        `container ports: ${composeLabel} ${JSON.stringify (a)}, ${label} ${JSON.stringify (b)}`);
}

//  The services compose runs from the zchain image and that set something
//  to compare (the one-shot `keys` sets no ZC_* and no port: Kubernetes
//  uses Secrets for it)
export function zchainServices (compose, exceptions, report, label) {
    return Object.values (compose.services).filter (s => {
        if (s.image !== "zchain:latest" || !(Object.keys (s.zc).length || s.ports.length))
            return false;
        const why = exceptions.programs [s.command?.[0]];
        if (why)
            report.note (`${label}: compose's ${s.name} (${s.command [0]}) not compared: ${why}`);
        return !why;
    });
}

//  compose.yaml against one render of the manifests
export function compareManifests (report, compose, objects, label, exceptions) {
    for (const svc of zchainServices (compose, exceptions, report, label)) {
        const w = objects.find (o => isWorkload (o) && o.metadata.name === svc.name);
        if (!report.check (!!w, `${label}: ${svc.name}`, "compose runs this service; no workload of that name"))
            continue;
        const c = mainContainer (w);
        if (!report.check (!!c, `${label}: ${ref (w)}`, `no container named ${svc.name}`))
            continue;
        const { env, problems } = effectiveEnv (c, objects, w.metadata.namespace);
        for (const p of problems)
            report.fail (`${label}: ${ref (w)}`, p);
        compareEnv (report, svc.name, svc.zc, env, label, exceptions);
        const ports = (c.ports || []).map (p => p.containerPort);
        s_ports (report, svc.name, svc.ports, ports, label);
        //  and every port the service binds (by its own env) is declared
        for (const [name, value] of Object.entries (env)) {
            const port = typeof value === "string" ? bindPort (value) : null;
            if (port !== null)
                report.check (ports.includes (port), `${label}: ${ref (w)}`,
                    `${name}=${value} binds ${port}, which is no containerPort`);
        }
        //  compose's command is the image's CMD replaced: Kubernetes' args
        report.check (same (c.args, svc.command) && c.command === undefined, `${label}: ${ref (w)}`,
            `compose runs ${JSON.stringify (svc.command)}; the container has command ` +
            `${JSON.stringify (c.command)} args ${JSON.stringify (c.args)} (want args only, the same)`);
        s_probes (report, svc, c, env, `${label}: ${ref (w)}`);
        const mounts = (c.volumeMounts || []).map (m => m.mountPath);
        for (const m of svc.mounts)
            report.check (mounts.includes (m), `${label}: ${ref (w)}`,
                `compose mounts a volume at ${m}; the container does not`);
        const lim = c.resources?.limits || {};
        if (svc.memory !== undefined)
            report.check (quantity (lim.memory) === svc.memory, `${label}: ${ref (w)}`,
                `memory limit ${lim.memory} is not compose's mem_limit (${svc.memory} bytes)`);
        if (svc.cpus !== undefined)
            report.check (Math.abs (quantity (lim.cpu) - svc.cpus) < 1e-9, `${label}: ${ref (w)}`,
                `cpu limit ${lim.cpu} is not compose's cpus ${svc.cpus}`);
        if (svc.stop_grace !== undefined)
            report.check (w.spec.template.spec.terminationGracePeriodSeconds === svc.stop_grace,
                `${label}: ${ref (w)}`, `terminationGracePeriodSeconds is not compose's ` +
                `stop_grace_period (${svc.stop_grace} s)`);
    }
}

//  compose's healthcheck as Kubernetes probes: the same command; readiness
//  is compose's health (interval, timeout, retries); liveness the same
//  command and timing but a longer window than the service's watchdog, so
//  a stuck loop ends itself with its reason before the kubelet kills it; a
//  start_period becomes a startupProbe at least as long as compose's grace.
function s_probes (report, svc, c, env, where) {
    const hc = svc.healthcheck;
    if (!report.check (!!hc, where, "compose has no healthcheck for this service to mirror"))
        return;
    const watchdog = Number (env.ZC_WATCHDOG || 60);
    for (const kind of ["readinessProbe", "livenessProbe", "startupProbe"]) {
        const p = c [kind];
        if (!p) {
            if (kind !== "startupProbe" || hc.start_period > 0)
                report.fail (where, `no ${kind} (compose: healthcheck ${JSON.stringify (hc.argv)}` +
                    (kind === "startupProbe" ? `, start_period ${hc.start_period} s)` : ")"));
            continue;
        }
        report.check (same (p.exec?.command, hc.argv), where,
            `${kind} runs ${JSON.stringify (p.exec?.command)}, compose's healthcheck ${JSON.stringify (hc.argv)}`);
        report.check ((p.periodSeconds ?? 10) === hc.interval && (p.timeoutSeconds ?? 1) === hc.timeout, where,
            `${kind} every ${p.periodSeconds ?? 10} s with ${p.timeoutSeconds ?? 1} s to answer; ` +
            `compose: interval ${hc.interval} s, timeout ${hc.timeout} s`);
        const window = (p.periodSeconds ?? 10) * (p.failureThreshold ?? 3);
        if (kind === "readinessProbe")
            report.check ((p.failureThreshold ?? 3) === hc.retries, where,
                `readinessProbe fails after ${p.failureThreshold ?? 3} misses; compose's retries ${hc.retries}`);
        if (kind === "livenessProbe")
            report.check (window > watchdog && (p.failureThreshold ?? 3) >= hc.retries, where,
                `livenessProbe kills after ${window} s: not past the ${watchdog} s watchdog ` +
                `(or fewer misses than compose's ${hc.retries} retries)`);
        if (kind === "startupProbe")
            report.check (window >= hc.start_period + hc.retries * hc.interval, where,
                `startupProbe allows ${window} s; compose allows ${hc.start_period + hc.retries * hc.interval} s ` +
                `(start_period + retries x interval)`);
    }
}

//  compose.yaml against deploy/swarm/stack.yaml: ZC_* and container ports
export function compareSwarm (report, compose, swarm, exceptions) {
    for (const svc of zchainServices (compose, exceptions, report, "swarm")) {
        const other = swarm.services [svc.name];
        if (!report.check (!!other, `swarm: ${svc.name}`, "compose runs this service; stack.yaml does not"))
            continue;
        compareEnv (report, svc.name, svc.zc, other.zc, "swarm", exceptions);
        s_ports (report, svc.name, svc.ports, other.ports, "swarm");
    }
}
