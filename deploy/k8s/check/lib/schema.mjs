//  schema.mjs - every rendered object against the Kubernetes (and KEDA) schemas
//
//  kubernetes-models and @kubernetes-models/keda give one class per
//  apiVersion and kind whose validate() throws on a wrong type, a missing
//  required field or a bad enum value. They accept fields the schema does
//  not know (a misspelt `readinessProbes` passes), so unknownFields() asks
//  the same validator about each field the object sets: a field whose value
//  can be replaced by garbage without the validator noticing is one the
//  schema does not describe. A kind with no class is a failure, never a skip.

//  apiVersion group -> the package that models it (the core groups are in
//  kubernetes-models)
const PACKAGES = { "keda.sh": "@kubernetes-models/keda" };

const classes = new Map();

//  The model class for apiVersion/kind, or null when no package has one
export async function modelClass (apiVersion, kind) {
    const key = `${apiVersion}/${kind}`;
    if (classes.has (key))
        return classes.get (key);
    const slash = apiVersion.indexOf ("/");
    const group = slash < 0 ? "" : apiVersion.slice (0, slash);
    const pkg = PACKAGES [group] ?? "kubernetes-models";
    let found = null;
    if (/^[a-z0-9.-]*\/?[a-z0-9]+$/.test (apiVersion) && /^[A-Za-z0-9]+$/.test (kind)) {
        try {
            const mod = await import (`${pkg}/${apiVersion}/${kind}`);
            const cls = mod [kind];
            if (typeof cls === "function" && cls.apiVersion === apiVersion && cls.kind === kind)
                found = cls;
        }
        catch {
            //  no such module: the kind stays unknown, and the caller fails it
        }
    }
    classes.set (key, found);
    return found;
}

//  The validator's first complaint about model, or null when it has none
export function schemaError (model) {
    try {
        model.validate ();
        return null;
    }
    catch (e) {
        return String (e.message || e).split ("\n").slice (0, 3).join ("; ");
    }
}

const GARBAGE = Symbol ("not a value of any JSON type");

//  Does the validator look at holder[key]? Put garbage there and ask.
function s_noticed (model, holder, key) {
    const saved = holder [key];
    holder [key] = GARBAGE;
    let noticed;
    try {
        model.validate ();
        noticed = false;
    }
    catch {
        noticed = true;
    }
    holder [key] = saved;
    return noticed;
}

//  Paths (a.b[0].c) of the fields model sets that its schema does not
//  describe. Free-form maps (labels, ConfigMap data) are described: their
//  values must be strings, and garbage is noticed.
export function unknownFields (model) {
    const unknown = [];
    const walk = (holder, path) => {
        const keys = Array.isArray (holder) ? holder.keys () : Object.keys (holder);
        for (const key of keys) {
            const here = Array.isArray (holder) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
            if (!s_noticed (model, holder, key))
                unknown.push (here);
            else
            if (holder [key] && typeof holder [key] === "object")
                walk (holder [key], here);
        }
    };
    walk (model, "");
    return unknown;
}
