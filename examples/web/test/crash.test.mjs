// @ts-check
// One of two processes is killed with SIGKILL in the middle of a booking load and started
// again: it recovers from the database; nothing acknowledged is lost, nothing is doubled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Client, bookingLoad, converged, createPatients, startServer, useServers,
  storedAppointmentIds, storedChanges, storedSnapshotSeqs,
} from './helpers.mjs';

const ctx = useServers('crash', 2, 40);

/** Bookable, non-overlapping follow-up times of a practitioner. */
async function freeTimes(/** @type {Client} */ staff, /** @type {string} */ practitioner) {
  const r = await staff.call('GET', `/api/slots?service=physio-followup-30&practitioner=${practitioner}&from=2027-03-09&to=2027-04-02&limit=500`);
  assert.equal(r.status, 200);
  const times = [];
  let free = 0;
  for (const s of r.body.slots) {
    if (s.start_unix < free) continue;
    times.push({ service: 'physio-followup-30', practitioner, start: s.start });
    free = s.end_unix;
  }
  return times;
}

test('SIGKILL mid-load, restart: recovered from the database, nothing lost or doubled', { timeout: 120000 }, async () => {
  let [a, b] = ctx.servers.map((s) => new Client(s.url));
  await Promise.all([a.staffLogin(), b.staffLogin()]);
  const perProcess = 120;
  await createPatients(a, 2 * perProcess);
  const slots = [...(await freeTimes(a, 'christine')), ...(await freeTimes(a, 'amir'))];
  assert.ok(slots.length >= 2 * perProcess, `free times: ${slots.length}`);
  // Each process books its own half of the times, so nearly every booking succeeds.
  const patients = Array.from({ length: 2 * perProcess }, (_, i) => `load-${i}`);
  const loadA = bookingLoad({ url: a.url, cookie: /** @type {string} */ (a.cookie), connections: 8, patients: patients.slice(0, perProcess),
    slots: slots.filter((_, i) => i % 2 === 0), maxSeconds: 60 });
  const loadB = bookingLoad({ url: b.url, cookie: /** @type {string} */ (b.cookie), connections: 8, patients: patients.slice(perProcess),
    slots: slots.filter((_, i) => i % 2 === 1), maxSeconds: 60 });

  // Wait until A has acknowledged some bookings, then kill it without warning.
  const answersA = /** @type {any} */ (loadA).answers;
  const until = Date.now() + 30000;
  while (answersA.length < 30 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  const killed = new Promise((r) => ctx.servers[0].child.once('exit', r));
  ctx.servers[0].child.kill('SIGKILL');
  await killed;
  loadA.stop();
  const [resultA, resultB] = await Promise.all([loadA.done, loadB.done]);
  const ackedA = resultA.answers.filter((/** @type {any} */ x) => x.status === 201);
  assert.ok(ackedA.length >= 30 && ackedA.length < perProcess, `A acknowledged ${ackedA.length} before the kill`);
  assert.equal(resultB.answers.length, perProcess);

  // Snapshots were stored along the way (every 40 changes), and the restart starts from one.
  const snapshots = await storedSnapshotSeqs(ctx.databaseUrl);
  assert.ok(snapshots.length >= 3, `snapshots at ${snapshots.join(', ')}`);
  const restarted = await startServer({ databaseUrl: ctx.databaseUrl, snapshotEvery: 40, port: ctx.servers[0].port });
  ctx.servers[0] = restarted;
  a = await new Client(restarted.url).staffLogin();
  console.log(`crash: A acknowledged ${ackedA.length}, B ${resultB.answers.filter((/** @type {any} */ x) => x.status === 201).length}; ` +
    `restarted A served again after ${restarted.startMs} ms`);

  const acked = [...ackedA, ...resultB.answers.filter((/** @type {any} */ x) => x.status === 201)];
  const other = resultB.answers.filter((/** @type {any} */ x) => x.status !== 201 && x.status !== 409);
  assert.deepEqual(other.map((/** @type {any} */ x) => [x.status, x.body]), []);
  const ids = acked.map((x) => x.body.appointment.id);
  assert.equal(new Set(ids).size, ids.length, 'no id acknowledged twice');

  await converged([a, b]);
  const stored = storedAppointmentIds(await storedChanges(ctx.databaseUrl));
  for (const id of ids) assert.ok(stored.has(id), `acknowledged ${id} is in the database`);
  for (const c of [a, b]) {
    const r = await c.call('GET', '/api/staff/appointments?from=2027-03-09&to=2027-04-02');
    const load = r.body.appointments.filter((/** @type {any} */ x) => x.patient?.startsWith('load-') && ['pending', 'booked'].includes(x.status));
    const held = new Set(load.map((/** @type {any} */ x) => x.id));
    for (const id of ids) assert.ok(held.has(id), `acknowledged ${id} is in ${c.url}`);
    // Stored but never acknowledged (in flight at the kill) is allowed; doubled is not.
    const perPatient = new Map();
    for (const x of load) perPatient.set(x.patient, (perPatient.get(x.patient) ?? 0) + 1);
    assert.deepEqual([...perPatient].filter(([, n]) => n > 1), [], 'one booking per patient');
    assert.deepEqual([...held].filter((id) => !stored.has(id)), [], 'nothing in memory that is not stored');
  }
});
