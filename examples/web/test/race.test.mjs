// @ts-check
// Two server processes on one database, 16 concurrent clients booking the same few slots
// through both: never over capacity, and every acknowledged booking is in the database and
// in both processes afterwards.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Client, bookingLoad, converged, createPatients, useServers,
  storedAppointmentIds, storedChanges,
} from './helpers.mjs';

// The safety-net poll is slowed to a minute, so only LISTEN/NOTIFY keeps them in step.
const ctx = useServers('race', 2, 25, 60000);

test('two processes, 16 clients, the same slots: never over capacity, nothing acknowledged lost', { timeout: 120000 }, async () => {
  const [a, b] = await Promise.all(ctx.servers.map((s) => new Client(s.url).staffLogin()));
  const requests = 160;
  await createPatients(a, requests);

  // The contested slots: four 1-place follow-ups with Christine (30 minutes apart: starts
  // every 15 minutes overlap) and the places left in a Pilates class.
  const followups = await a.call('GET', '/api/slots?service=physio-followup-30&practitioner=christine&from=2027-03-09&to=2027-03-09&limit=8');
  const pilates = await a.call('GET', '/api/slots?service=pilates-55&from=2027-03-09&to=2027-03-12&limit=1');
  assert.equal(followups.status, 200);
  assert.equal(followups.body.slots.length, 8);
  assert.equal(pilates.body.slots.length, 1);
  const places = pilates.body.slots[0].remaining_capacity;
  assert.ok(places >= 2, `Pilates places left: ${places}`);
  const slots = [
    ...followups.body.slots.filter((/** @type {any} */ _s, /** @type {number} */ i) => i % 2 === 0)
      .map((/** @type {any} */ s) => ({ service: 'physio-followup-30', practitioner: 'christine', start: s.start, capacity: 1 })),
    { service: 'pilates-55', start: pilates.body.slots[0].start, capacity: places },
  ];

  // LISTEN/NOTIFY: one change stored through A reaches B within a second.
  await converged([a, b]);
  const seqA = (await a.call('PUT', '/api/staff/patients/listen-check', { first_name: 'Listen' })).status === 200
    ? (await a.call('GET', '/api/staff/status')).body.last_seq : -1;
  const t = Date.now();
  for (;;) {
    const seqB = (await b.call('GET', '/api/staff/status')).body.last_seq;
    if (seqB === seqA) break;
    assert.ok(Date.now() - t < 1000, `B at ${seqB}, A at ${seqA} after ${Date.now() - t} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }

  const patients = Array.from({ length: requests }, (_, i) => `load-${i}`);
  const t0 = Date.now();
  const runs = [
    bookingLoad({ url: a.url, cookie: /** @type {string} */ (a.cookie), connections: 8, patients: patients.filter((_, i) => i % 2 === 0), slots, maxSeconds: 60 }),
    bookingLoad({ url: b.url, cookie: /** @type {string} */ (b.cookie), connections: 8, patients: patients.filter((_, i) => i % 2 === 1), slots, maxSeconds: 60 }),
  ];
  const results = await Promise.all(runs.map((r) => r.done));
  const seconds = (Date.now() - t0) / 1000;
  const answers = results.flatMap((r) => r.answers);
  assert.equal(answers.length, requests, 'every request was answered');

  const booked = answers.filter((x) => x.status === 201);
  const refused = answers.filter((x) => x.status === 409);
  const other = answers.filter((x) => x.status !== 201 && x.status !== 409);
  assert.deepEqual(other.map((x) => [x.status, x.body]), [], 'only 201 and 409');
  for (const r of refused) assert.ok(['capacity_full', 'slot_unavailable'].includes(r.body.code), JSON.stringify(r.body));
  // Each slot is filled exactly to its capacity, no more.
  assert.equal(booked.length, 4 + places, `bookings: ${booked.length}`);
  for (const slot of slots) {
    const n = booked.filter((x) => x.slot.start === slot.start && x.slot.service === slot.service).length;
    assert.equal(n, slot.capacity, `${slot.service} at ${slot.start}`);
  }
  const ids = booked.map((x) => x.body.appointment.id);
  assert.equal(new Set(ids).size, ids.length, 'no appointment id acknowledged twice');

  const status = await converged([a, b]);
  const stored = storedAppointmentIds(await storedChanges(ctx.databaseUrl));
  for (const id of ids) {
    assert.ok(stored.has(id), `${id} is in the database`);
    for (const c of [a, b]) {
      const r = await c.call('GET', `/api/staff/appointments/${id}`);
      assert.equal(r.status, 200, `${id} in ${c.url}`);
      assert.ok(['pending', 'booked'].includes(r.body.status));
    }
  }
  // Both processes hold the same portal appointments on the contested days: no over-booking.
  for (const c of [a, b]) {
    const r = await c.call('GET', '/api/staff/appointments?from=2027-03-09&to=2027-03-12');
    const occupying = r.body.appointments.filter((/** @type {any} */ x) => x.patient?.startsWith('load-') && ['pending', 'booked'].includes(x.status));
    assert.deepEqual(occupying.map((/** @type {any} */ x) => x.id).sort(), [...ids].sort());
  }
  const conflicts = (await Promise.all([a, b].map((c) => c.call('GET', '/api/staff/status')))).map((r) => r.body.conflicts);
  console.log(`race: ${requests} requests in ${seconds.toFixed(2)} s, ${booked.length} booked, ${refused.length} refused, ` +
    `last seq ${status.last_seq}, lost races per process ${conflicts.join('/')}`);
});
