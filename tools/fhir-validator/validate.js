#!/usr/bin/env node
// Independent check of FHIR R4 JSON with FHIR.js (the npm package `fhir`), used by the test suite.
// Usage: node validate.js FILE.json [FILE.json ...]
// Prints one JSON line per file: {"file": ..., "valid": bool, "messages": [{location, severity, message}]}
// and exits 0 when every file is valid, 1 when any is not, 2 when a file cannot be read.
//
// FHIR.js does not look inside nested Questionnaire and QuestionnaireResponse items (`item.item`, a
// content reference). So each such resource is checked twice: as it is, and with every nested item
// lifted to the top level (groups left out), so that every item is checked too. Messages from the second
// pass have their location prefixed with "(nested items) ".
'use strict';
const fs = require('fs');
const path = require('path');
const { Fhir } = require(path.join(__dirname, 'node_modules', 'fhir'));

const fhir = new Fhir();

function liftItems(items) {
  const out = [];
  for (const item of items || []) {
    const { item: inner, ...rest } = item;
    if (inner && inner.length) {
      if (rest.type !== 'group' && rest.answer === undefined) out.push(rest);
      out.push(...liftItems(inner));
    } else if (rest.type !== 'group') {
      out.push(rest);
    }
    for (const answer of item.answer || []) {
      if (answer.item) out.push(...liftItems(answer.item));
    }
  }
  return out;
}

function nested(items) {
  return (items || []).some((i) => (i.item && i.item.length) || (i.answer || []).some((a) => a.item));
}

// A copy of `resource` with nested items lifted, or null when there are none.
function lifted(resource) {
  if (!resource || typeof resource !== 'object') return null;
  const type = resource.resourceType;
  if ((type === 'Questionnaire' || type === 'QuestionnaireResponse') && nested(resource.item)) {
    return { ...resource, item: liftItems(resource.item) };
  }
  if (type === 'Bundle' && Array.isArray(resource.entry)) {
    let changed = false;
    const entry = resource.entry.map((e) => {
      const l = e && lifted(e.resource);
      if (!l) return e;
      changed = true;
      return { ...e, resource: l };
    });
    return changed ? { ...resource, entry } : null;
  }
  return null;
}

function check(resource) {
  const result = fhir.validate(resource, { errorOnUnexpected: true });
  return (result.messages || []).map((m) => ({
    location: m.location, severity: m.severity, message: m.message,
  }));
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node validate.js FILE.json [FILE.json ...]\n');
  process.exit(2);
}
let allValid = true;
for (const file of files) {
  let resource;
  try {
    resource = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    process.stderr.write(`${file}: cannot read JSON: ${err.message}\n`);
    process.exit(2);
  }
  const messages = check(resource);
  const l = lifted(resource);
  if (l) {
    for (const m of check(l)) messages.push({ ...m, location: `(nested items) ${m.location}` });
  }
  const valid = !messages.some((m) => m.severity === 'error');
  if (!valid) allValid = false;
  process.stdout.write(JSON.stringify({ file, valid, messages }) + '\n');
}
process.exit(allValid ? 0 : 1);
