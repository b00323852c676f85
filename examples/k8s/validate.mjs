// validate.mjs - check Kubernetes manifests against the Kubernetes API
// schema (the OpenAPI definitions compiled into the kubernetes-models npm
// package): types, enums, required fields, formats, for every document of
// every file. Unknown kinds are errors, not skipped.
//
//   node validate.mjs FILE.yaml...     (kubernetes-models and yaml resolvable
//                                       from this script's directory)
// Exit 0 if all valid; otherwise one line per problem and exit 1.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

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

const files = process.argv.slice(2);
if (files.length === 0) {
	console.error("usage: node validate.mjs FILE.yaml...");
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
