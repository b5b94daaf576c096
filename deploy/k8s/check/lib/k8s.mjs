//  k8s.mjs - small readers over rendered Kubernetes objects

//  "kind/name" (with the namespace when it has one): how a message names an object
export function ref (o) {
    const ns = o?.metadata?.namespace;
    return `${o?.kind}/${ns ? ns + "/" : ""}${o?.metadata?.name}`;
}

export const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"];

export function isWorkload (o) {
    return WORKLOAD_KINDS.includes (o.kind);
}

export function podSpec (w) {
    return w.spec?.template?.spec;
}

export function podLabels (w) {
    return w.spec?.template?.metadata?.labels || {};
}

export function containers (w) {
    return podSpec (w)?.containers || [];
}

export function initContainers (w) {
    return podSpec (w)?.initContainers || [];
}

//  The container that runs the service: the one named like the workload
export function mainContainer (w) {
    return containers (w).find (c => c.name === w.metadata.name);
}

//  Does a LabelSelector (matchLabels, matchExpressions) select labels?
//  An empty selector selects everything, as in a NetworkPolicy.
export function selects (selector, labels) {
    if (!selector)
        return false;
    for (const [k, v] of Object.entries (selector.matchLabels || {}))
        if (labels [k] !== v)
            return false;
    for (const e of selector.matchExpressions || []) {
        const has = Object.hasOwn (labels, e.key);
        const ok = e.operator === "In" ? has && e.values.includes (labels [e.key])
                 : e.operator === "NotIn" ? !has || !e.values.includes (labels [e.key])
                 : e.operator === "Exists" ? has
                 : e.operator === "DoesNotExist" ? !has : false;
        if (!ok)
            return false;
    }
    return true;
}

//  A Service's selector is a plain map; none selects nothing
export function serviceSelects (svc, labels) {
    const sel = svc.spec?.selector;
    return !!sel && Object.keys (sel).length > 0 && selects ({ matchLabels: sel }, labels);
}

export function find (objects, kind, name, namespace) {
    return objects.find (o => o.kind === kind && o.metadata?.name === name
                           && (namespace === undefined || o.metadata?.namespace === namespace));
}

//  The environment a container starts with: envFrom ConfigMaps, then env
//  over them (Kubernetes' order). Values that come from elsewhere
//  (secretRef, valueFrom) are named, not resolved, and reported in problems.
export function effectiveEnv (c, objects, namespace) {
    const env = {};
    const problems = [];
    for (const from of c.envFrom || []) {
        if (from.configMapRef) {
            const cm = find (objects, "ConfigMap", from.configMapRef.name, namespace);
            if (!cm)
                problems.push (`envFrom names ConfigMap ${from.configMapRef.name}, which the render does not hold`);
            for (const [k, v] of Object.entries (cm?.data || {}))
                env [(from.prefix || "") + k] = v;
        }
        else
            problems.push (`envFrom ${JSON.stringify (from)}: only ConfigMaps are read here`);
    }
    for (const e of c.env || []) {
        if (e.valueFrom) {
            problems.push (`${e.name} comes from ${Object.keys (e.valueFrom).join (",")}, not a value`);
            env [e.name] = undefined;
        }
        else
            env [e.name] = e.value ?? "";
    }
    return { env, problems };
}

//  Kubernetes quantity -> number ("500m" -> 0.5, "1Gi" -> 1073741824, "4" -> 4)
export function quantity (q) {
    if (typeof q === "number")
        return q;
    const m = /^([+-]?\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec (String (q ?? ""));
    if (!m)
        return NaN;
    const scale = { undefined: 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
                    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 } [m [2]];
    return Number (m [1]) * scale;
}

export function same (a, b) {
    return JSON.stringify (a) === JSON.stringify (b);
}
