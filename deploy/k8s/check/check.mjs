//  check.mjs - make k8s-check: deploy/k8s rendered, validated and held to compose.yaml
//
//    node deploy/k8s/check/check.mjs [--compose FILE] [--swarm FILE]
//
//  Offline, no cluster: for the base and each overlay, `kubectl kustomize`
//  renders it; every object is validated against its Kubernetes or KEDA
//  schema (an unknown kind or a field the schema does not know fails); the
//  node's rules are checked (lib/policy.mjs: shape, pod security, keys,
//  Services, budgets, NetworkPolicies); the autoscaling and Prometheus
//  configs (lib/scaling.mjs) and, with promtool, their PromQL; and the
//  manifests' ZC_* variables, ports, commands, probes and limits against
//  compose.yaml (lib/consistency.mjs), as deploy/swarm/stack.yaml's once
//  it exists. Prints every failure, then one line; exits 1 on any.
import { existsSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { Report } from "./lib/report.mjs";
import { modelClass, schemaError, unknownFields } from "./lib/schema.mjs";
import { loadCompose } from "./lib/compose.mjs";
import { checkPolicy } from "./lib/policy.mjs";
import { checkScaling } from "./lib/scaling.mjs";
import { compareManifests, compareSwarm } from "./lib/consistency.mjs";
import { findPromtool, promtoolChecks } from "./lib/promtool.mjs";
import { ref, isWorkload, containers } from "./lib/k8s.mjs";
import { EXCEPTIONS } from "./exceptions.mjs";
import { selfTest } from "./lib/selftest.mjs";

const ROOT = fileURLToPath (new URL ("../../..", import.meta.url));
const RENDERS = [
    { label: "base", dir: "deploy/k8s/base", mode: "base" },
    { label: "overlays/keda", dir: "deploy/k8s/overlays/keda", mode: "keda" },
    { label: "overlays/hpa", dir: "deploy/k8s/overlays/hpa", mode: "hpa" },
];

function s_args (argv) {
    const opts = { compose: join (ROOT, "compose.yaml"), swarm: join (ROOT, "deploy/swarm/stack.yaml") };
    for (let i = 0; i < argv.length; i++) {
        const m = /^--(compose|swarm)$/.exec (argv [i]);
        if (!m || i + 1 >= argv.length) {
            console.error (`k8s-check: usage: check.mjs [--compose FILE] [--swarm FILE] (not ${argv [i]})`);
            process.exit (2);
        }
        opts [m [1]] = argv [++i];
    }
    return opts;
}

function s_kubectl () {
    if (process.env.KUBECTL)
        return process.env.KUBECTL;
    return existsSync ("/usr/bin/kubectl") ? "/usr/bin/kubectl" : "kubectl";
}

//  kubectl kustomize DIR -> objects, or null (and a failure) when it cannot
function s_render (report, kubectl, r) {
    let text;
    try {
        text = execFileSync (kubectl, ["kustomize", join (ROOT, r.dir)],
                             { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60000 });
    }
    catch (e) {
        const why = (e.stderr || e.message || "").toString ().trim ().split ("\n").pop ();
        report.fail (r.label, `kubectl kustomize ${r.dir} failed: ${why}`);
        return null;
    }
    const objects = [];
    for (const doc of YAML.parseAllDocuments (text)) {
        if (doc.errors.length) {
            report.fail (r.label, `the render is not YAML: ${doc.errors [0].message.split ("\n") [0]}`);
            return null;
        }
        const o = doc.toJS ();
        if (o !== null)
            objects.push (o);
    }
    report.check (objects.length > 0, r.label, "renders nothing");
    return objects;
}

async function s_validate (report, objects, label) {
    const seen = new Set ();
    for (const o of objects) {
        const where = `${label}: ${ref (o)}`;
        report.check (!seen.has (ref (o)), where, "appears twice");
        seen.add (ref (o));
        const cls = o && typeof o.apiVersion === "string" && typeof o.kind === "string"
                  ? await modelClass (o.apiVersion, o.kind) : null;
        if (!report.check (!!cls, where, `no schema for apiVersion ${o?.apiVersion} kind ${o?.kind}: cannot validate it`))
            continue;
        const model = new cls (o);
        const error = schemaError (model);
        if (!report.check (!error, where, `schema: ${error}`))
            continue;
        const unknown = unknownFields (model);
        report.check (unknown.length === 0, where, `fields the schema does not know: ${unknown.join (", ")}`);
    }
}

//  every port a zchain container listens on is one the image EXPOSEs
function s_expose (report, objects, label) {
    const text = readFileSync (join (ROOT, "deploy/Dockerfile"), "utf8");
    const exposed = new Set ([...text.matchAll (/^EXPOSE\s+(.+)$/gm)].flatMap (m => m [1].trim ().split (/\s+/).map (Number)));
    for (const w of objects.filter (isWorkload))
        for (const c of containers (w).filter (c => c.image === "zchain:latest"))
            for (const p of c.ports || [])
                report.check (exposed.has (p.containerPort), `${label}: ${ref (w)}`,
                    `port ${p.containerPort} is not EXPOSEd by deploy/Dockerfile`);
}

//  Every check of one render into report. options.schema false leaves out
//  the schema pass (the self-test's mutations that are not about schemas);
//  options.promtool is promtool's path, or null.
export async function checkRender (report, objects, r, compose, options = {}) {
    if (options.schema !== false)
        await s_validate (report, objects, r.label);
    checkPolicy (report, objects, r.label);
    s_expose (report, objects, r.label);
    const scaling = checkScaling (report, objects, r.label, r.mode);
    if (compose)
        compareManifests (report, compose, objects, r.label, EXCEPTIONS.k8s);
    if (options.promtool && scaling)
        promtoolChecks (report, options.promtool, r.label, scaling.prometheus, scaling.queries);
}

async function main () {
    const started = Date.now ();
    const opts = s_args (process.argv.slice (2));
    const report = new Report ();
    let compose = null;
    try {
        compose = loadCompose (opts.compose);
    }
    catch (e) {
        report.fail ("compose.yaml", `cannot read ${opts.compose}: ${e.message}`);
    }
    const kubectl = s_kubectl ();
    const promtool = findPromtool (report);
    const counts = [];
    const renders = {};
    for (const r of RENDERS) {
        const objects = s_render (report, kubectl, r);
        if (!objects)
            continue;
        renders [r.mode] = objects;
        counts.push (`${r.label} ${objects.length}`);
        await checkRender (report, objects, r, compose, { promtool });
    }
    report.note (`rendered and validated: ${counts.join (", ")} objects`);
    if (!promtool)
        report.note ("NOTICE: promtool not found (Debian package prometheus): skipped promtool check config, " +
                     "check rules and test rules; everything else ran");
    if (compose && existsSync (opts.swarm)) {
        try {
            compareSwarm (report, compose, loadCompose (opts.swarm), EXCEPTIONS.swarm);
            report.note (`compared compose.yaml with ${opts.swarm} and with the manifests`);
        }
        catch (e) {
            report.fail ("swarm", `cannot read ${opts.swarm}: ${e.message}`);
        }
    }
    else
        report.note (`${opts.swarm} absent: compared compose.yaml with the manifests only`);
    //  and that the checks above can fail: each known fault, put into a
    //  copy of a render, must be caught
    if (compose && Object.keys (renders).length === RENDERS.length)
        await selfTest (report, renders, compose, RENDERS, { promtool }, checkRender);
    const took = ((Date.now () - started) / 1000).toFixed (1);
    for (const f of report.failures)
        console.error (`k8s-check: FAIL ${f}`);
    if (report.failures.length) {
        console.error (`k8s-check: FAILED: ${report.failures.length} of ${report.passed + report.failures.length} ` +
                       `checks (${took} s); first: ${report.failures [0]}`);
        process.exit (1);
    }
    console.log (`k8s-check: ${report.passed} passed, 0 failed (${took} s)`);
}

if (process.argv [1] === fileURLToPath (import.meta.url))
    main ().catch (e => {
        console.error (`k8s-check: FAILED: ${e.stack || e}`);
        process.exit (1);
    });
