// @ts-check
// The web example's server: the sample practice, journaled in PostgreSQL, behind Fastify.
//
//   DATABASE_URL=postgres://... PORT=8080 SESSION_SECRET=... STAFF_PASSWORD=... node server.mjs
//
// Environment:
//   DATABASE_URL      PostgreSQL connection string (required)
//   PORT, HOST        where to listen (default 8080 on 127.0.0.1)
//   SESSION_SECRET    key of the session cookies; give every process the same one (required)
//   STAFF_USERNAME    the staff user (default "frontdesk"); STAFF_PASSWORD its password
//                     (unset: staff login is refused)
//   SNAPSHOT_EVERY    store a snapshot after this many changes (default 500)
//   POLL_MS           the safety-net poll for other processes' changes (default 2000;
//                     LISTEN/NOTIFY brings them at once)
//   CLOCK_START       an instant: the server's clock starts there and runs at normal speed
//                     (demo and tests on the sample data's dates); unset: the real clock
//   COOKIE_SECURE     "1": mark the cookie Secure (behind HTTPS)
import pg from 'pg';
import { buildApp } from './lib/app.mjs';
import { SAMPLE_PRACTICE, seedSample } from './lib/sample.mjs';
import { Sessions } from './lib/session.mjs';
import { DEFAULT_POLL_MS, DEFAULT_SNAPSHOT_EVERY, PracticeStore } from './lib/store.mjs';

/** @param {string} name */
function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`server: set ${name}`);
    process.exit(2);
  }
  return value;
}

/** The server's clock: real time, or real time shifted to start at CLOCK_START. */
function makeClock() {
  const start = process.env.CLOCK_START;
  if (!start) return () => new Date();
  const base = Date.parse(start);
  if (Number.isNaN(base)) {
    console.error(`server: CLOCK_START is not an instant: ${start}`);
    process.exit(2);
  }
  const t0 = Date.now();
  return () => new Date(base + (Date.now() - t0));
}

const databaseUrl = required('DATABASE_URL');
const secret = required('SESSION_SECRET');
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const snapshotEvery = Number(process.env.SNAPSHOT_EVERY ?? DEFAULT_SNAPSHOT_EVERY);
const pollMs = Number(process.env.POLL_MS ?? DEFAULT_POLL_MS);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`server: PORT must be 0 to 65535`);
  process.exit(2);
}
if (!Number.isInteger(pollMs) || pollMs < 10) {
  console.error(`server: POLL_MS must be an integer of at least 10`);
  process.exit(2);
}
if (!Number.isInteger(snapshotEvery) || snapshotEvery < 1) {
  console.error(`server: SNAPSHOT_EVERY must be a positive integer`);
  process.exit(2);
}
const clock = makeClock();
const log = (/** @type {string} */ msg) => console.log(`[${process.pid}] ${msg}`);

const pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
pool.on('error', (e) => log(`pool: ${e.message}`));
const started = Date.now();
const store = await PracticeStore.open({ pool, practice: SAMPLE_PRACTICE, seed: () => seedSample(clock()), snapshotEvery, log });
await store.follow(pollMs);
const staffPassword = process.env.STAFF_PASSWORD;
const app = buildApp({
  store,
  clock,
  sessions: new Sessions({ secret, secure: process.env.COOKIE_SECURE === '1' }),
  staff: staffPassword ? { username: process.env.STAFF_USERNAME ?? 'frontdesk', password: staffPassword } : null,
});
const address = await app.listen({ port, host });
log(`practice ${SAMPLE_PRACTICE} at seq ${store.engine.lastSeq()}, ready in ${Date.now() - started} ms`);
log(`listening on ${address}`);

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, async () => {
    await app.close();
    await store.close();
    await pool.end();
    process.exit(0);
  });
}
