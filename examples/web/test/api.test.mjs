// @ts-check
// The HTTP API on a running server: the routes are exactly those of openapi.json, errors are
// {code, message} with their statuses, and a refused request changes nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { buildApp, MAX_BODY_BYTES } from '../lib/app.mjs';
import { SAMPLE_PRACTICE, seedSample } from '../lib/sample.mjs';
import { Sessions } from '../lib/session.mjs';
import { PracticeStore } from '../lib/store.mjs';
import { generate, routeCollector } from '../scripts/gen-openapi.mjs';
import { CLOCK_START, Client, SESSION_SECRET, STAFF, freshDatabase } from './helpers.mjs';

/** @type {Map<string, any>} */
const routes = new Map();
/** @type {any} */
let app;
/** @type {PracticeStore} */
let store;
/** @type {pg.Pool} */
let pool;
let url = '';
const clock = () => new Date(CLOCK_START);
const ana = { username: 'ana.souza@example.com', password: 'correct horse battery' };

before(async () => {
  pool = new pg.Pool({ connectionString: await freshDatabase('api') });
  store = await PracticeStore.open({ pool, practice: SAMPLE_PRACTICE, seed: () => seedSample(clock()) });
  app = buildApp({ store, clock, sessions: new Sessions({ secret: SESSION_SECRET, secure: false }), staff: STAFF, onRoute: routeCollector(routes) });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await app.close();
  await store.close();
  await pool.end();
});

test('openapi.json is fresh and lists exactly the routes of the running server', async () => {
  const committed = readFileSync(new URL('../openapi.json', import.meta.url), 'utf8');
  assert.equal(await generate(), committed, 'run node scripts/gen-openapi.mjs');
  const served = await new Client(url).call('GET', '/openapi.json');
  assert.equal(served.status, 200);
  const documented = new Set(Object.entries(served.body.paths)
    .flatMap(([path, ops]) => Object.keys(/** @type {object} */ (ops)).map((m) => `${m.toUpperCase()} ${path}`)));
  assert.ok(routes.size > 20);
  assert.deepEqual([...routes.keys()].filter((r) => !documented.has(r)), [], 'served but not documented');
  assert.deepEqual([...documented].filter((r) => !routes.has(r)), [], 'documented but not served');
});

test('errors: statuses and {code, message}; a refused call changes nothing', async () => {
  const anon = new Client(url);
  const patient = new Client(url);
  const staff = await new Client(url).staffLogin();
  const seq = () => store.engine.lastSeq();
  /** @param {{status: number, body: any}} r @param {number} status @param {string} code */
  const refused = (r, status, code) => {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.code, code);
    assert.equal(typeof r.body.message, 'string');
  };

  refused(await anon.call('GET', '/api/me'), 401, 'not_logged_in');
  refused(await anon.call('GET', '/api/nope'), 404, 'not_found');
  refused(await anon.call('POST', '/api/login', { username: ana.username, password: 'wrong password' }), 401, 'credentials_invalid');
  refused(await anon.call('POST', '/api/login', { username: ana.username }), 422, 'invalid_input');
  assert.equal((await patient.call('POST', '/api/login', ana)).status, 200);
  assert.match(/** @type {string} */ (patient.cookie), /^cp_session=/);
  const login = await new Client(url).call('POST', '/api/login', ana);
  assert.match(login.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);

  const before = seq();
  const snapshot = store.engine.snapshot();
  refused(await patient.call('GET', '/api/staff/pending'), 403, 'not_authorized');
  refused(await patient.call('POST', '/api/bookings', { patient: 'pat-ben', extra: true }), 422, 'invalid_input');
  refused(await patient.call('POST', '/api/bookings', { patient: 42 }), 422, 'invalid_input');
  const big = await fetch(`${url}/api/bookings`, {
    method: 'POST', headers: { cookie: /** @type {string} */ (patient.cookie), 'content-type': 'application/json' },
    body: JSON.stringify({ patient: 'pat-ben', notes: 'x'.repeat(MAX_BODY_BYTES) }),
  });
  assert.equal(big.status, 413);
  assert.equal((await big.json()).code, 'payload_too_large');
  const plain = await fetch(`${url}/api/bookings`, {
    method: 'POST', headers: { cookie: /** @type {string} */ (patient.cookie), 'content-type': 'text/plain' }, body: 'hello',
  });
  assert.equal(plain.status, 415);
  assert.equal((await plain.json()).code, 'unsupported_media_type');

  const start = '2027-03-09T09:30:00-05:00';
  const target = { service: 'physio-followup-30', practitioner: 'christine', start };
  refused(await patient.call('POST', '/api/bookings', { patient: 'pat-chloe', ...target, consent_given: true }), 403, 'not_authorized');
  refused(await patient.call('POST', '/api/bookings', { patient: 'pat-ben', ...target }), 422, 'consent_required');
  refused(await patient.call('POST', '/api/bookings', { patient: 'pat-ben', ...target, start: '2027-03-09T03:00:00-05:00', consent_given: true }), 409, 'slot_unavailable');
  refused(await patient.call('POST', '/api/appointments/no-such/cancel', {}), 404, 'not_found');
  assert.equal(seq(), before, 'refusals store nothing');
  assert.equal(store.engine.snapshot(), snapshot, 'refusals change nothing');

  const booked = await patient.call('POST', '/api/bookings', { patient: 'pat-ben', ...target, consent_given: true });
  assert.equal(booked.status, 201);
  assert.equal(booked.body.appointment.status, 'pending');
  assert.equal(seq(), before + 1);
  const taken = await staff.call('POST', '/api/bookings', { patient: 'pat-dev', ...target, consent_given: true });
  refused(taken, 409, taken.body.code === 'capacity_full' ? 'capacity_full' : 'slot_unavailable');
  const explain = await patient.call('GET', `/api/explain?service=physio-followup-30&practitioner=christine&patient=pat-ana&from=2027-03-09&to=2027-03-09&start=${encodeURIComponent(start)}`);
  assert.equal(explain.status, 200);
  // Inside 24 hours: the patient may not cancel; staff may, with a reason.
  const id = booked.body.appointment.id;
  refused(await patient.call('POST', `/api/appointments/${id}/cancel`, {}), 422, 'cancel_window_closed');
  assert.equal(seq(), before + 1);
  const list = await patient.call('GET', '/api/appointments');
  assert.ok(list.body.appointments.some((/** @type {any} */ x) => x.id === id));
  refused(await staff.call('POST', `/api/staff/appointments/${id}/accept`, { note: 'x'.repeat(2001) }), 422, 'invalid_input');
  assert.equal((await staff.call('POST', `/api/staff/appointments/${id}/accept`, { note: 'See you Tuesday' })).body.appointment.status, 'booked');
  refused(await staff.call('POST', `/api/staff/appointments/${id}/accept`, {}), 409, 'invalid_transition');
  const cancelled = await staff.call('POST', `/api/appointments/${id}/cancel`, { reason: 'patient phoned' });
  assert.equal(cancelled.body.appointment.status, 'cancelled');
});

test('an invitation accepted through the API logs the new account in', async () => {
  const staff = await new Client(url).staffLogin();
  const issued = await staff.call('POST', '/api/staff/invitations', { patient: 'pat-dev', relationship: 'self' });
  assert.equal(issued.status, 201, JSON.stringify(issued.body));
  const token = issued.body.token;
  assert.equal(typeof token, 'string');
  const dev = new Client(url);
  assert.equal((await dev.call('POST', '/api/invitations/accept', { token: 'not-a-token', password: 'a long enough password' })).status, 422);
  const accepted = await dev.call('POST', '/api/invitations/accept', { token, password: 'a long enough password' });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  const me = await dev.call('GET', '/api/me');
  assert.deepEqual(me.body.patients.map((/** @type {any} */ p) => p.id), ['pat-dev']);
  const again = await new Client(url).call('POST', '/api/invitations/accept', { token, password: 'a long enough password' });
  assert.ok(again.status >= 400 && again.status < 500);
});
