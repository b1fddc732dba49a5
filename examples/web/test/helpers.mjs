// @ts-check
// Shared by the tests: a fresh database per test file, server processes, and HTTP helpers.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { after, before } from 'node:test';
import pg from 'pg';
import autocannon from 'autocannon';

/** The server's clock in the tests: Monday 2027-03-08 15:00 in Toronto. */
export const CLOCK_START = '2027-03-08T20:00:00Z';
export const SESSION_SECRET = 'test secret shared by every process';
export const STAFF = { username: 'frontdesk', password: 'staff test password' };
export const ARTIFACTS = new URL('../artifacts/', import.meta.url);
mkdirSync(ARTIFACTS, { recursive: true });

const baseUrl = () => {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('set DATABASE_URL (scripts/test-web.sh starts a throwaway PostgreSQL)');
  return url;
};

/** Creates an empty database; returns its URL. */
export async function freshDatabase(/** @type {string} */ prefix) {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A server process (server.mjs) on a free port; resolves once it listens.
 * @param {{databaseUrl: string, snapshotEvery?: number, port?: number, pollMs?: number}} opts
 */
export function startServer(opts) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [new URL('../server.mjs', import.meta.url).pathname], {
      env: {
        ...process.env,
        DATABASE_URL: opts.databaseUrl,
        PORT: String(opts.port ?? 0),
        SESSION_SECRET,
        STAFF_USERNAME: STAFF.username,
        STAFF_PASSWORD: STAFF.password,
        CLOCK_START,
        SNAPSHOT_EVERY: String(opts.snapshotEvery ?? 500),
        POLL_MS: String(opts.pollMs ?? 2000),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (/** @type {Buffer} */ chunk) => {
      out += chunk.toString();
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        child.stdout.off('data', onData);
        resolve({ child, url: m[1], port: Number(new URL(m[1]).port), startMs: Date.now() - t0, output: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => { out += c.toString(); });
    child.on('exit', (code, signal) => reject(new Error(`server exited (${code ?? signal}) before listening:\n${out}`)));
  });
}

/** Stops a server process (SIGTERM) and waits for it. */
export async function stopServer(/** @type {{child: import('node:child_process').ChildProcess}} */ server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

/** A tiny cookie-keeping JSON client of one server. */
export class Client {
  constructor(/** @type {string} */ url) {
    this.url = url;
    /** @type {string | null} */
    this.cookie = null;
  }
  /** @returns {Promise<{status: number, body: any, headers: Headers}>} */
  async call(/** @type {string} */ method, /** @type {string} */ path, /** @type {unknown} */ body) {
    /** @type {Record<string, string>} */
    const headers = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }
  async staffLogin() {
    const r = await this.call('POST', '/api/staff/login', STAFF);
    if (r.status !== 200) throw new Error(`staff login: ${r.status} ${JSON.stringify(r.body)}`);
    return this;
  }
}

/** Waits until every server has the same last_seq and snapshot digest; returns the status. */
export async function converged(/** @type {Client[]} */ staffClients, timeoutMs = 20000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const all = await Promise.all(staffClients.map((c) => c.call('GET', '/api/staff/status')));
    const first = all[0].body;
    if (all.every((s) => s.status === 200 && s.body.last_seq === first.last_seq && s.body.snapshot_sha256 === first.snapshot_sha256)) {
      return first;
    }
    if (Date.now() > until) throw new Error(`servers did not converge: ${JSON.stringify(all.map((s) => s.body))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every change stored for the practice, oldest first. */
export async function storedChanges(/** @type {string} */ databaseUrl) {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const { rows } = await db.query("SELECT seq, change FROM changes WHERE practice = 'riverside' ORDER BY seq");
  await db.end();
  return rows.map((r) => r.change);
}

/** The sequence numbers of the stored snapshots, oldest first. */
export async function storedSnapshotSeqs(/** @type {string} */ databaseUrl) {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const { rows } = await db.query("SELECT seq FROM snapshots WHERE practice = 'riverside' ORDER BY seq");
  await db.end();
  return rows.map((r) => Number(r.seq));
}

/** The ids of the appointments put by stored changes. */
export function storedAppointmentIds(/** @type {any[]} */ changes) {
  const ids = new Set();
  for (const c of changes) for (const d of c.deltas) if (d.op === 'put_appointment') ids.add(d.appointment.id);
  return ids;
}

/** Creates `count` patients named load-0… through the staff API. */
export async function createPatients(/** @type {Client} */ staff, /** @type {number} */ count) {
  for (let i = 0; i < count; i++) {
    const r = await staff.call('PUT', `/api/staff/patients/load-${i}`, { first_name: 'Load', last_name: `Patient ${i}` });
    if (r.status !== 200) throw new Error(`patient load-${i}: ${r.status} ${JSON.stringify(r.body)}`);
  }
}

/**
 * Bookings through one server by `connections` concurrent clients (autocannon), each request
 * a different patient (`patients[i]`) at `slots[i % slots.length]`. Bounded by the number
 * of requests and a time limit; resolves with every answer.
 * @param {{url: string, cookie: string, connections: number, patients: string[],
 *          slots: {service: string, start: string, practitioner?: string}[], maxSeconds: number}} opts
 */
export function bookingLoad(opts) {
  /** @type {{status: number, body: any, patient: string, slot: {service: string, start: string, practitioner?: string}}[]} */
  const answers = [];
  let next = 0;
  /** @type {any} */
  let instance;
  const done = new Promise((resolve, reject) => {
    instance = autocannon({
      url: opts.url,
      connections: opts.connections,
      amount: opts.patients.length,
      timeout: 10,
      headers: { cookie: opts.cookie, 'content-type': 'application/json' },
      requests: [{
        method: 'POST',
        path: '/api/bookings',
        setupRequest: (/** @type {any} */ req, /** @type {any} */ ctx) => {
          const i = next++ % opts.patients.length;
          const slot = opts.slots[i % opts.slots.length];
          ctx.patient = opts.patients[i];
          ctx.slot = slot;
          const body = { patient: opts.patients[i], service: slot.service, start: slot.start, practitioner: slot.practitioner, consent_given: true };
          return { ...req, body: JSON.stringify(body) };
        },
        onResponse: (/** @type {number} */ status, /** @type {string} */ body, /** @type {any} */ ctx) => {
          let parsed = null;
          try { parsed = JSON.parse(body); } catch { parsed = body; }
          answers.push({ status, body: parsed, patient: ctx.patient, slot: ctx.slot });
        },
      }],
    }, (/** @type {Error | null} */ err, /** @type {any} */ result) => {
      clearTimeout(timer);
      return err ? reject(err) : resolve({ result, answers });
    });
    // The time bound: stop even if the server stopped answering.
    const timer = setTimeout(() => instance.stop(), opts.maxSeconds * 1000);
  });
  return { done, answers, stop: () => instance.stop() };
}

/**
 * For a test file: a fresh database and `count` server processes started at once (racing
 * to seed it), stopped after the file's tests.
 * @param {string} prefix
 * @param {number} count
 * @param {number} snapshotEvery
 * @param {number} [pollMs]
 */
export function useServers(prefix, count, snapshotEvery, pollMs) {
  /** @type {{servers: any[], databaseUrl: string}} */
  const ctx = { servers: [], databaseUrl: '' };
  before(async () => {
    ctx.databaseUrl = await freshDatabase(prefix);
    const started = Array.from({ length: count }, () => startServer({ databaseUrl: ctx.databaseUrl, snapshotEvery, pollMs }));
    ctx.servers.push(...(await Promise.all(started)));
  });
  after(async () => {
    for (const s of ctx.servers) await stopServer(s);
  });
  return ctx;
}
