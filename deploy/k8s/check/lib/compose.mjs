//  compose.mjs - compose.yaml and deploy/swarm/stack.yaml as plain data
//
//  Each service comes out with what the comparison needs: its ZC_* settings,
//  the ports its container listens on, its command, healthcheck, mounts and
//  limits, every ${VAR:-default} resolved to what Compose would use with
//  none of those variables set (the caller's environment is not read: a
//  ZC_P2P_ADVERTISE in the shell must not change the verdict).
import { readFileSync } from "node:fs";
import YAML from "yaml";

//  Compose interpolation with every variable unset; throws on ${VAR:?msg}
export function interpolate (text) {
    return text.replace (/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
        (all, name, op, word) => {
            if (all === "$$")
                return "$";
            if (op === ":-" || op === "-")
                return word;
            if (op === ":?" || op === "?")
                throw new Error (`\${${name}} must be set: ${word}`);
            return "";
        });
}

function s_deep (value) {
    if (typeof value === "string")
        return interpolate (value);
    if (Array.isArray (value))
        return value.map (s_deep);
    if (value && typeof value === "object")
        return Object.fromEntries (Object.entries (value).map (([k, v]) => [k, s_deep (v)]));
    return value;
}

//  "1m30s" -> 90 (seconds); numbers pass; undefined stays undefined
export function seconds (text) {
    if (text === undefined || text === null)
        return undefined;
    if (typeof text === "number")
        return text;
    const units = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
    let total = 0, rest = String (text).trim ();
    const part = /^(\d+(?:\.\d+)?)(h|ms|m|s|us)/;
    if (!part.test (rest))
        throw new Error (`'${text}' is not a duration`);
    while (rest) {
        const m = part.exec (rest);
        if (!m)
            throw new Error (`'${text}' is not a duration`);
        total += Number (m [1]) * units [m [2]];
        rest = rest.slice (m [0].length);
    }
    return total;
}

//  Docker's memory sizes ("2g", "1536m", "512M", "1gb"): bytes, binary units
export function bytes (text) {
    if (text === undefined || text === null)
        return undefined;
    if (typeof text === "number")
        return text;
    const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec (String (text).trim ());
    if (!m)
        throw new Error (`'${text}' is not a memory size`);
    const scale = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } [m [2].toLowerCase ()];
    return Math.round (Number (m [1]) * scale);
}

//  environment as a map or a list of KEY=VALUE -> { KEY: "VALUE" }
function s_environment (env) {
    const out = {};
    if (Array.isArray (env)) {
        for (const item of env) {
            const eq = String (item).indexOf ("=");
            //  "KEY" alone passes the caller's value: unset here
            if (eq > 0)
                out [item.slice (0, eq)] = item.slice (eq + 1);
        }
    }
    else
    if (env && typeof env === "object") {
        for (const [k, v] of Object.entries (env))
            out [k] = v === null || v === undefined ? "" : String (v);
    }
    return out;
}

//  The container side of each `ports:` entry (short or long syntax)
function s_published (ports) {
    const out = [];
    for (const p of ports || []) {
        if (p && typeof p === "object") {
            out.push (Number (p.target));
            continue;
        }
        const text = String (p).replace (/\/(tcp|udp)$/, "");
        const last = text.slice (text.lastIndexOf (":") + 1);
        if (!/^\d+$/.test (last))
            throw new Error (`port '${p}': only single ports are understood here`);
        out.push (Number (last));
    }
    return out;
}

//  A ZC_* value that binds every interface ("tcp://0.0.0.0:7801",
//  "0.0.0.0:7790"): the port, else null
export function bindPort (value) {
    const m = /^(?:tcp:\/\/)?(?:0\.0\.0\.0|\*|\[::\]):(\d+)$/.exec (value);
    return m ? Number (m [1]) : null;
}

//  healthcheck.test -> the argv Docker runs
function s_test (test) {
    if (typeof test === "string")
        return ["/bin/sh", "-c", test];
    if (!Array.isArray (test) || test.length === 0)
        return null;
    if (test [0] === "CMD")
        return test.slice (1);
    if (test [0] === "CMD-SHELL")
        return ["/bin/sh", "-c", test.slice (1).join (" ")];
    return null;                        //  NONE
}

//  file -> { services: { NAME: { ... } } }; throws with the reason when the
//  file is not a compose file this understands
export function loadCompose (file) {
    const doc = YAML.parse (readFileSync (file, "utf8"), { merge: true });
    if (!doc || typeof doc.services !== "object")
        throw new Error (`${file} has no services`);
    const services = {};
    for (const [name, raw] of Object.entries (doc.services)) {
        const svc = s_deep (raw || {});
        const env = s_environment (svc.environment);
        const zc = Object.fromEntries (Object.entries (env).filter (([k]) => k.startsWith ("ZC_")));
        const binds = Object.values (zc).map (bindPort).filter (p => p !== null);
        const published = s_published (svc.ports);
        const limits = svc.deploy?.resources?.limits || {};
        const hc = svc.healthcheck;
        services [name] = {
            name,
            image: svc.image,
            command: svc.command === undefined ? undefined
                   : Array.isArray (svc.command) ? svc.command.map (String)
                   : String (svc.command).trim ().split (/\s+/),
            zc,
            published,
            ports: [...new Set ([...published, ...binds])].sort ((a, b) => a - b),
            healthcheck: hc && !hc.disable && s_test (hc.test) ? {
                argv: s_test (hc.test),
                interval: seconds (hc.interval ?? "30s"),
                timeout: seconds (hc.timeout ?? "30s"),
                retries: hc.retries ?? 3,
                start_period: seconds (hc.start_period ?? "0s"),
            } : null,
            mounts: (svc.volumes || []).map (v => typeof v === "string"
                ? v.split (":") [1] : v.target).filter (Boolean),
            memory: bytes (svc.mem_limit ?? limits.memory),
            cpus: svc.cpus !== undefined ? Number (svc.cpus)
                : limits.cpus !== undefined ? Number (limits.cpus) : undefined,
            stop_grace: seconds (svc.stop_grace_period),
        };
    }
    return { services };
}
