// @ts-check
// Errors through the Node API: every code of docs/errors.md is provoked by a real call and
// arrives as a ClinicPortalError with that `code`; bad arguments are `invalid_input` and
// change nothing; a panic inside the addon is an `internal` error, not a crash.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { Engine, ClinicPortalError, ERROR_CODES, provokePanic, provokePanicAsync } = require('clinic-portal');
const { SAMPLE, NOW, SERVICE, WEEK, sample } = require('./sample');
const HOUR = 3600 * 1000;

/** @param {import('clinic-portal').Engine} engine @param {number} [i] */
function slot(engine, i = 0) {
  return engine.search(WEEK, NOW).slots[i].start;
}

/** @param {import('clinic-portal').Engine} engine @param {string} patient @param {string} start @param {string} [now] */
function book(engine, patient, start, now = NOW) {
  return engine.book({ patient, service: SERVICE, practitioner: 'christine', start, consent_given: true }, now);
}

/** @param {number} ms */
const at = (ms) => new Date(Date.parse(NOW) + ms).toISOString();

/** One real call per code (the shared vectors provoke most of them again). */
/** @type {{[code: string]: () => unknown}} */
const PROVOKE = {
  invalid_config: () => new Engine({ clinics: [{ id: 'c', time_zone: 'Nowhere/Never' }] }),
  invalid_input: () => sample().search(WEEK, 'yesterday'),
  not_found: () => sample().patient('nobody'),
  not_authorized: () => {
    const e = sample();
    e.createAccount({ id: 'acct', username: 'someone@example.test', password: 'a long password' }, NOW);
    return e.search({ ...WEEK, actor: 'acct', patient: 'pat-ben' }, NOW);
  },
  portal_disabled: () => {
    const e = sample();
    const config = e.config();
    e.reconfigure({ ...config, portal: { ...config.portal, enabled: false } }, NOW);
    return e.search(WEEK, NOW);
  },
  slot_unavailable: () => book(sample(), 'pat-dev', '2027-03-09T03:00:00-05:00'),
  outside_booking_window: () => {
    const e = sample();
    return book(e, 'pat-dev', slot(e), new Date(Date.parse(slot(e)) - HOUR).toISOString());
  },
  cancel_window_closed: () => {
    const e = sample();
    const start = slot(e);
    const id = book(e, 'pat-dev', start).appointment.id;
    return e.cancel({ appointment: id, by: 'patient' }, new Date(Date.parse(start) - HOUR).toISOString());
  },
  consent_required: () => sample().book({ patient: 'pat-dev', service: SERVICE, practitioner: 'christine', start: slot(sample()) }, NOW),
  invalid_transition: () => {
    const e = sample();
    const id = book(e, 'pat-dev', slot(e)).appointment.id;
    e.decline({ appointment: id }, NOW);
    return e.accept({ appointment: id }, NOW);
  },
  capacity_full: () => {
    const e = sample();
    const start = slot(e);
    book(e, 'pat-dev', start);
    return book(e, 'pat-chloe', start);
  },
  hold_expired: () => {
    const e = sample();
    const hold = e.hold({ service: SERVICE, start: slot(e), practitioner: 'christine', patient: 'pat-dev' }, NOW);
    return e.book({ patient: 'pat-dev', hold: hold.id, consent_given: true }, at(HOUR));
  },
  patient_busy: () => {
    const e = sample();
    const shared = e.search({ ...WEEK, practitioner: null }, NOW).slots.find((s) => s.practitioners.length > 1);
    assert.ok(shared, 'a start two practitioners can take');
    const [p1, p2] = shared.practitioners.map((c) => c.practitioner);
    e.book({ patient: 'pat-dev', service: SERVICE, practitioner: p1, start: shared.start, consent_given: true }, NOW);
    return e.book({ patient: 'pat-dev', service: SERVICE, practitioner: p2, start: shared.start, consent_given: true }, NOW);
  },
  limit_reached: () => {
    const e = sample();
    const starts = e.search(WEEK, NOW).slots.map((s) => s.start);
    book(e, 'pat-dev', starts[0]);
    book(e, 'pat-dev', starts[2]);
    return book(e, 'pat-dev', starts[4]); // max_bookings_per_day = 2
  },
  duplicate_id: () => sample().addAppointment(SAMPLE.appointments[0]),
  email_in_use: () => {
    const e = sample();
    e.createAccount({ username: 'twin@example.test', password: 'a long password' }, NOW);
    return e.createAccount({ username: 'twin@example.test', password: 'a long password' }, NOW);
  },
  invitation_invalid: () => sample().acceptInvitation({ token: 'no-such-token-at-all', password: 'a long password' }, NOW),
  invitation_expired: () => {
    const e = sample();
    const issued = e.invite({ patient: 'pat-dev', relationship: 'self' }, NOW);
    return e.acceptInvitation({ token: issued.token, password: 'a long password' }, at(100 * HOUR));
  },
  credentials_invalid: () => sample().login('nobody@example.test', 'a long password', NOW),
  signup_disabled: () => {
    const e = sample();
    const config = e.config();
    e.reconfigure({ ...config, portal: { ...config.portal, allow_public_signup: false } }, NOW);
    return e.signup({ email: 'x@example.test', password: 'a long password', first_name: 'X', last_name: 'Y' }, NOW);
  },
  internal: () => provokePanic('provoked by the test suite'),
  idempotency_conflict: () => {
    const e = sample();
    const [a, b] = e.search(WEEK, NOW).slots.map((s) => s.start);
    e.book({ patient: 'pat-dev', service: SERVICE, practitioner: 'christine', start: a, consent_given: true, idempotency_key: 'k1' }, NOW);
    return e.book({ patient: 'pat-dev', service: SERVICE, practitioner: 'christine', start: b, consent_given: true, idempotency_key: 'k1' }, NOW);
  },
  stale_sequence: () => {
    const e = sample();
    const planned = e.planOperation({ op: 'upsert_patient', patient: { id: 'p1' } }, NOW);
    e.upsertPatient({ id: 'p2' });
    return e.apply(planned.change ?? '');
  },
};

test('ERROR_CODES are the codes of docs/errors.md, in order', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
  const listed = [...doc.matchAll(/^\| (\d+) \| `([a-z_]+)` \|/gm)].map((m) => m[2]);
  assert.deepStrictEqual([...ERROR_CODES], listed);
});

test('the provoking table covers every code', () => {
  assert.deepStrictEqual(Object.keys(PROVOKE).sort(), [...ERROR_CODES].sort());
});

for (const code of ERROR_CODES) {
  test(`a real call fails with code ${code}`, () => {
    assert.throws(PROVOKE[code], (/** @type {unknown} */ e) => {
      assert.ok(e instanceof ClinicPortalError, `not a ClinicPortalError: ${e}`);
      assert.ok(e instanceof Error);
      assert.strictEqual(e.name, 'ClinicPortalError');
      assert.strictEqual(e.code, code, e.message);
      assert.ok(e.message.length > 0 && !e.message.startsWith('[clinic-portal:'), e.message);
      return true;
    });
  });
}

test('a panic inside the addon is an internal error, on and off the main thread', async () => {
  assert.throws(() => provokePanic('boom'), (/** @type {unknown} */ e) => e instanceof ClinicPortalError && e.code === 'internal' && e.message.includes('boom'));
  await assert.rejects(provokePanicAsync('boom async'), (/** @type {unknown} */ e) => e instanceof ClinicPortalError && e.code === 'internal' && e.message.includes('boom async'));
  // The process and the engines still work.
  assert.ok(sample().search(WEEK, NOW).slots.length > 0);
});

test('bad arguments are invalid_input and change nothing', () => {
  const e = sample();
  const before = e.snapshot();
  /** @type {Array<() => unknown>} */
  const calls = [
    () => e.search(WEEK, new Date('not a date')),
    () => e.search(WEEK, /** @type {any} */ (42)),
    () => e.search(/** @type {any} */ ({ service: SERVICE }), NOW),
    () => e.search({ ...WEEK, from: 'March' }, NOW),
    () => e.patient(/** @type {any} */ (7)),
    () => e.book(/** @type {any} */ ({ patient: 'pat-dev', unknown_field: 1 }), NOW),
    () => e.book(/** @type {any} */ (undefined), NOW),
    () => e.hold({ service: SERVICE, start: '2027-03-09T09:00:00' }, NOW),
    () => e.execute('{"op": "explode"}', NOW),
    () => e.execute(/** @type {any} */ ({ op: 'book' }), NOW),
    () => e.apply('{"seq": "one"}'),
    () => e.changesSince(-1),
    () => e.compactJournal(1.5),
    () => e.upsertPatient({ id: '' }),
    () => e.book({ patient: 'pat-dev', service: SERVICE, start: '0001-01-01T00:00:00Z', consent_given: true }, NOW),
    () => Engine.restore('not json'),
    () => e.login('a', 'b', /** @type {any} */ (null)),
    () => e.upsertPatient(/** @type {any} */ ({ id: 'big', first_name: 10n })),
    () => e.search(/** @type {any} */ ({ ...WEEK, limit: 10n }), NOW),
    () => e.reconfigure('{"clinics": [', NOW),
  ];
  for (const call of calls) {
    assert.throws(call, (/** @type {unknown} */ err) => {
      assert.ok(err instanceof ClinicPortalError, `not a ClinicPortalError: ${err}`);
      assert.ok(['invalid_input', 'invalid_config'].includes(err.code), `${err.code}: ${err.message}`);
      return true;
    }, call.toString());
  }
  assert.strictEqual(e.snapshot(), before);
});

test('invalid_config from a configuration that does not parse', () => {
  assert.throws(() => Engine.fromJson('{"clinics": ['), (/** @type {unknown} */ e) => e instanceof ClinicPortalError && e.code === 'invalid_config');
  assert.throws(() => Engine.validateJson('{"unknown_key": 1}'), (/** @type {unknown} */ e) => e instanceof ClinicPortalError && e.code === 'invalid_config');
});
