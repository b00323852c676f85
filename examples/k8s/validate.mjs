// validate.mjs - check Kubernetes manifests against the Kubernetes API
// schema (the OpenAPI definitions compiled into the kubernetes-models npm
// package): types, required fields, formats, for every document of every
// file; and, like `kubectl apply --validate=strict`, no unknown fields (the
// package's validators allow them, so the field lists are read from its
// type declarations). Unknown kinds are errors, not skipped.
//
//   node validate.mjs [--migsock-policy] FILE.yaml...
//       (kubernetes-models and yaml resolvable from this script's directory)
// --migsock-policy also checks what migsock's manifests promise: every
// long-running migsock container is a native sidecar (or a DaemonSet's
// container) with an exec readiness probe calling migsock-probe on the
// socket it serves, and every migsock container runs without capabilities
// or privilege escalation and with seccomp and SELinux options set.
// Exit 0 if all valid; otherwise one line per problem and exit 1.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

// --- field lists from the .d.ts files -------------------------------------
// Each model file declares `export interface IName { "field"?: Type; ... }`
// and imports the interfaces of its fields; aliases map the long names.
const declCache = new Map();
const NODE_MODULES = resolve(dirname(fileURLToPath(import.meta.url)), "node_modules");

// "pkg/sub/path" -> NODE_MODULES/pkg/sub/path.d.ts (the packages map every
// subpath to the file of that name; no import.meta.resolve on older node).
function declPath(spec) {
	return resolve(NODE_MODULES, spec.replace(/\.js$/, "") + ".d.ts");
}

function readDecl(file) {
	if (declCache.has(file)) return declCache.get(file);
	const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
	const imports = new Map();
	for (const m of text.matchAll(/import \{([^}]*)\} from "([^"]+)"/g))
		for (const name of m[1].split(",").map((x) => x.trim()).filter(Boolean))
			imports.set(name, m[2]);
	const aliases = new Map();
	for (const m of text.matchAll(/(\w+) as (\w+)/g)) aliases.set(m[2], m[1]);
	const interfaces = new Map();
	for (const m of text.matchAll(/export interface (\w+)[^{]*\{/g))
		interfaces.set(m[1], fieldsOf(text, m.index + m[0].length));
	const decl = { file, imports, aliases, interfaces };
	declCache.set(file, decl);
	return decl;
}

// Fields of the interface body starting at @pos: name -> type text.
function fieldsOf(text, pos) {
	const fields = new Map();
	const prop = /\s*"([^"]+)"\??:\s*/y;
	for (;;) {
		prop.lastIndex = pos;
		const m = prop.exec(text);
		if (!m) break;
		let i = prop.lastIndex, depth = 0;
		for (; i < text.length; i++) {
			const c = text[i];
			if ("{<([".includes(c)) depth++;
			else if ("}>)]".includes(c)) depth--;
			else if (c === ";" && depth === 0) break;
		}
		fields.set(m[1], text.slice(prop.lastIndex, i).trim());
		pos = i + 1;
	}
	return fields;
}

// Resolve interface @name as seen from @decl: { decl, fields } or null.
function lookup(decl, name) {
	const local = decl.aliases.get(name) ?? name;
	if (decl.interfaces.has(local)) return { decl, fields: decl.interfaces.get(local) };
	const from = decl.imports.get(name);
	if (!from) return null;
	const file = from.startsWith(".")
		? resolve(dirname(decl.file), from.replace(/\.js$/, ".d.ts"))
		: declPath(from);
	let other;
	try {
		other = readDecl(file);
	} catch {
		return null;
	}
	return lookup(other, name);
}

// Report every key of @value that type @type (as written in @decl) lacks.
function unknownFields(value, type, decl, path, out) {
	if (value === null || typeof value !== "object") return;
	let m;
	if ((m = /^Array<(.+)>$/s.exec(type))) {
		if (Array.isArray(value))
			value.forEach((v, i) => unknownFields(v, m[1].trim(), decl, `${path}/${i}`, out));
		return;
	}
	if ((m = /^\{\s*\[key: string\]:\s*(.+?);?\s*\}$/s.exec(type))) {
		for (const [k, v] of Object.entries(value)) unknownFields(v, m[1].trim(), decl, `${path}/${k}`, out);
		return;
	}
	if (!/^\w+$/.test(type) || Array.isArray(value)) return;
	const found = lookup(decl, type);
	if (!found) return; // a scalar alias (Quantity, IntOrString, Time...)
	for (const [k, v] of Object.entries(value)) {
		if (!found.fields.has(k)) out.push(`${path}/${k}: unknown field`);
		else unknownFields(v, found.fields.get(k), found.decl, `${path}/${k}`, out);
	}
}

function strictCheck(obj) {
	const decl = readDecl(declPath(`kubernetes-models/${obj.apiVersion}/${obj.kind}`));
	const main = [...decl.interfaces.keys()].find((n) => n === `I${obj.kind}`);
	const out = [];
	unknownFields(obj, main, decl, "", out);
	return out;
}

// "apps/v1" + "DaemonSet" -> kubernetes-models/apps/v1/DaemonSet
async function modelFor(apiVersion, kind) {
	if (typeof apiVersion !== "string" || typeof kind !== "string")
		throw new Error("apiVersion and kind must be strings");
	if (!/^[a-z0-9.]+(\/[a-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind))
		throw new Error(`unexpected apiVersion/kind ${apiVersion} ${kind}`);
	let mod;
	try {
		mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
	} catch {
		throw new Error(`unknown kind ${kind} in ${apiVersion}`);
	}
	return mod[kind];
}

// --- migsock's own rules ---------------------------------------------------
function podSpecOf(obj) {
	if (obj.kind === "Pod") return obj.spec;
	return obj.spec?.template?.spec ?? null;
}

function policyProblems(obj) {
	const spec = podSpecOf(obj);
	if (!spec) return [];
	const out = [];
	const isMigsock = (c) => /(^|\/)migsock:/.test(c.image ?? "");
	const all = [
		...(spec.initContainers ?? []).map((c) => ({ c, init: true })),
		...(spec.containers ?? []).map((c) => ({ c, init: false })),
	].filter(({ c }) => isMigsock(c));
	for (const { c, init } of all) {
		const sc = c.securityContext ?? {};
		const at = `container ${c.name}`;
		if (sc.allowPrivilegeEscalation !== false) out.push(`${at}: allowPrivilegeEscalation must be false`);
		if (!(sc.capabilities?.drop ?? []).includes("ALL")) out.push(`${at}: capabilities must drop ALL`);
		if ((sc.capabilities?.add ?? []).length) out.push(`${at}: adds capabilities`);
		if (sc.privileged) out.push(`${at}: privileged`);
		if (sc.seccompProfile?.type !== "RuntimeDefault") out.push(`${at}: seccompProfile must be RuntimeDefault`);
		if (!sc.seLinuxOptions?.type && !spec.securityContext?.seLinuxOptions?.level)
			out.push(`${at}: no seLinuxOptions`);
		const longRunning = init ? c.restartPolicy === "Always" : obj.kind !== "Job";
		// A Job's init containers run to completion first (waiting for the
		// pods); anywhere else migsock runs as a native sidecar.
		if (init && c.restartPolicy !== "Always" && obj.kind !== "Job")
			out.push(`${at}: an init container, not a native sidecar (restartPolicy: Always)`);
		if (!longRunning) continue;
		const probe = c.readinessProbe?.exec?.command ?? [];
		if (!probe.some((w) => /migsock-probe|bridge-loop/.test(w)))
			out.push(`${at}: readiness must be an exec probe calling migsock-probe`);
		const args = c.args ?? [];
		const listen = args[args.indexOf("--listen") + 1];
		if (args.includes("--listen") && probe.at(-1) !== listen)
			out.push(`${at}: readiness probes ${probe.at(-1)}, but the relay listens on ${listen}`);
	}
	if (obj.kind !== "ConfigMap" && all.length === 0) out.push("no migsock container");
	return out;
}

async function validateFile(file) {
	const problems = [];
	const docs = parseAllDocuments(readFileSync(file, "utf8"));
	let n = 0;
	for (const doc of docs) {
		n++;
		const where = `${file}: document ${n}`;
		if (doc.errors.length) {
			problems.push(`${where}: YAML: ${doc.errors[0].message}`);
			continue;
		}
		const obj = doc.toJS();
		if (obj === null) continue; // empty document
		try {
			const Model = await modelFor(obj.apiVersion, obj.kind);
			new Model(obj).validate();
			const unknown = strictCheck(obj);
			if (unknown.length) throw new Error(unknown.join("; "));
			if (policy) {
				const p = policyProblems(obj);
				if (p.length) throw new Error(`migsock policy: ${p.join("; ")}`);
			}
		} catch (err) {
			const detail = err.errors
				? err.errors.map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ")
				: err.message;
			problems.push(`${where} (${obj.kind} ${obj.metadata?.name ?? "?"}): ${detail}`);
		}
	}
	if (n === 0) problems.push(`${file}: no documents`);
	return problems;
}

const args = process.argv.slice(2);
const policy = args[0] === "--migsock-policy";
const files = policy ? args.slice(1) : args;
if (files.length === 0) {
	console.error("usage: node validate.mjs [--migsock-policy] FILE.yaml...");
	process.exit(2);
}
let bad = 0;
for (const f of files) {
	const problems = await validateFile(f);
	for (const p of problems) console.log(p);
	if (problems.length) bad++;
	else console.log(`${f}: valid`);
}
process.exit(bad ? 1 : 0);
