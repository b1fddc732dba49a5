// @ts-check
// The figures of benches/README.md ("Web example"): slots requests/s and latency per
// process, bookings/s through PostgreSQL with two processes, recovery time after SIGKILL.
// Needs DATABASE_URL (a PostgreSQL on loopback); each run uses a fresh database.
//   node scripts/bench.mjs
import autocannon from 'autocannon';
import {
  Client, bookingLoad, converged, createPatients, freshDatabase, startServer, stopServer,
} from '../test/helpers.mjs';

const SLOTS_SECONDS = 10;
const BOOKINGS = 600;

const databaseUrl = await freshDatabase('bench');
const servers = [await startServer({ databaseUrl }), await startServer({ databaseUrl })];
const clients = await Promise.all(servers.map((s) => new Client(s.url).staffLogin()));
const path = '/api/slots?service=physio-followup-30&from=2027-03-09&to=2027-03-12&limit=50';

for (const [i, c] of clients.entries()) {
  const r = await autocannon({ url: c.url + path, connections: 16, duration: SLOTS_SECONDS, headers: { cookie: /** @type {string} */ (c.cookie) } });
  console.log(`slots, process ${i + 1} alone, 16 connections, ${SLOTS_SECONDS} s: ${r.requests.average.toFixed(0)} req/s, ` +
    `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`);
}

await createPatients(clients[0], BOOKINGS);
/** @type {{service: string, practitioner: string, start: string}[]} */
const times = [];
for (const practitioner of ['christine', 'amir', 'mei']) {
  const r = await clients[0].call('GET', `/api/slots?service=physio-followup-30&practitioner=${practitioner}&from=2027-03-09&to=2027-05-06&limit=500`);
  let free = 0;
  for (const s of r.body.slots) {
    if (s.start_unix < free) continue;
    times.push({ service: 'physio-followup-30', practitioner, start: s.start });
    free = s.end_unix;
  }
}
const patients = Array.from({ length: BOOKINGS }, (_, i) => `load-${i}`);
/**
 * Books `patients` at `slots` through `use` (each client with 8 connections); prints a line.
 * @param {string} label @param {Client[]} use @param {string[]} who @param {typeof times} slots
 */
async function bookings(label, use, who, slots) {
  const t0 = Date.now();
  const loads = use.map((c, i) => bookingLoad({
    url: c.url, cookie: /** @type {string} */ (c.cookie), connections: 8,
    patients: who.filter((_, j) => j % use.length === i), slots: slots.filter((_, j) => j % use.length === i), maxSeconds: 120,
  }));
  const results = await Promise.all(loads.map((l) => l.done));
  const seconds = (Date.now() - t0) / 1000;
  const answers = results.flatMap((r) => r.answers);
  const ok = answers.filter((a) => a.status === 201).length;
  const status = await converged(clients);
  const statuses = await Promise.all(clients.map((c) => c.call('GET', '/api/staff/status')));
  console.log(`bookings, ${label}, 8 connections each: ${who.length} requests in ${seconds.toFixed(2)} s, ` +
    `${ok} booked (${(ok / seconds).toFixed(0)} bookings/s), ${answers.length - ok} refused, ` +
    `lost races so far ${statuses.map((s) => s.body.conflicts).join('/')}, last seq ${status.last_seq}`);
  return status;
}
const half = BOOKINGS / 2;
await bookings('one process', [clients[0]], patients.slice(0, half), times.slice(0, half));
const status = await bookings('two processes', clients, patients.slice(half), times.slice(half));

servers[0].child.kill('SIGKILL');
await new Promise((r) => servers[0].child.once('exit', r));
const restarted = await startServer({ databaseUrl, port: servers[0].port });
servers[0] = restarted;
console.log(`recovery after SIGKILL: serving again ${restarted.startMs} ms after the restart ` +
  `(process start, snapshot, ${status.last_seq} changes in the journal)`);
for (const s of servers) await stopServer(s);
