#!/usr/bin/env node
// Runs ELM libraries in the reference JavaScript CQL engine (cql-execution), for the trafficscreen tests.
// Optionally first translates CQL text to ELM with the HL7 translator (@cqframework/cql).
//
// Reads one JSON object on standard input:
//   {"elm": {"<label>": <ELM JSON>, ...},         libraries to run as they are
//    "cql": {"<label>": "<CQL text>", ...},        libraries to translate, then run (optional)
//    "dates": ["<parameter>", ...],               parameters whose values are ISO dates (optional)
//    "outputs": ["<definition>", ...],            the definitions to report, in this order
//    "recompute_falsy": false,                    true: cql-execution's cache exactly as shipped (below)
//    "encounters": [{"<parameter>": value, ...}]} the inputs; an absent or null value is unknown
// Writes one JSON object on standard output:
//   {"translation": {"<label>": {"errors": [...], "warnings": [...]}},
//    "results": {"<label>": [[value of each output, ...] per encounter]}}
// Every library runs every encounter in this one process. Exit 1 on an error (message on stderr).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const cql = require('cql-execution');


// cql-execution 3.3 caches each definition's value in the Unfiltered context, but its look-up treats a
// cached false, 0 or '' as missing and evaluates the definition again (and everything it references):
// correct, but about four times slower on these libraries. With "recompute_falsy": false (the default)
// the look-up also returns a cached false, 0 or ''. Definitions have no side effects, so a value read
// from the cache is the value evaluating again would give; the tests run a sample with the engine as
// shipped ("recompute_falsy": true) as well, and compare.
function cacheFalsyValues() {
  const { UnfilteredContext } = require('cql-execution/lib/runtime/context');
  const lookUp = UnfilteredContext.prototype.get;
  UnfilteredContext.prototype.get = function get(identifier) {
    const cached = this.context_values[identifier];
    return cached !== undefined ? cached : lookUp.call(this, identifier);
  };
}
const noPatients = { currentPatient: () => undefined, nextPatient: () => undefined };

async function translate(text) {
  const { CqlTranslator, LibraryManager, ModelManager } = await import('@cqframework/cql/cql-to-elm');
  const { SystemModelInfoProvider } = await import('@cqframework/cql/cql');
  const models = new ModelManager();
  // the System model (CQL's own types) ships inside the translator
  models.modelInfoLoader.registerModelInfoProvider(new SystemModelInfoProvider());
  const translator = CqlTranslator.fromText(text, new LibraryManager(models));
  const show = (list) => Array.from(list.asJsReadonlyArrayView ? list.asJsReadonlyArrayView() : list, (e) => String(e));
  return {
    elm: JSON.parse(translator.toJson()),
    errors: show(translator.errors),
    warnings: show(translator.warnings),
  };
}

// Every declared parameter gets a value, null when unknown: cql-execution 3 hands back the parameter's
// own definition object, not null, for a parameter that was not passed at all.
function parameters(declared, answers, dates) {
  const out = {};
  for (const name of declared) {
    const value = answers[name];
    out[name] = value === null || value === undefined ? null : dates.has(name) ? cql.Date.parse(value) : value;
  }
  return out;
}

function plain(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && typeof value.toString === 'function' && !Array.isArray(value)) {
    return value.toString();
  }
  return value;
}

async function run(elm, input, dates) {
  const library = new cql.Library(elm);
  const codes = new cql.CodeService({});
  const declared = ((elm.library.parameters || {}).def || []).map((p) => p.name);
  const rows = [];
  for (const answers of input.encounters) {
    const executor = new cql.Executor(library, codes, parameters(declared, answers, dates));
    const results = await executor.exec(noPatients);
    const values = results.unfilteredResults;
    rows.push(input.outputs.map((name) => plain(values[name])));
  }
  return rows;
}

async function main() {
  const input = JSON.parse(readFileSync(0, 'utf8'));
  const dates = new Set(input.dates || []);
  if (!input.recompute_falsy) cacheFalsyValues();
  const libraries = { ...(input.elm || {}) };
  const translation = {};
  for (const [label, text] of Object.entries(input.cql || {})) {
    const t = await translate(text);
    translation[label] = { errors: t.errors, warnings: t.warnings };
    libraries[label] = t.elm;
  }
  const results = {};
  for (const [label, elm] of Object.entries(libraries)) {
    if (translation[label] && translation[label].errors.length) continue;
    results[label] = await run(elm, input, dates);
  }
  process.stdout.write(JSON.stringify({ translation, results }));
}

main().catch((err) => {
  process.stderr.write(`run_elm: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
