// @ts-check
// One practice's engine kept durable in PostgreSQL: the plan / store / apply loop, start-up
// from the latest snapshot plus the later changes, following the other processes through
// LISTEN/NOTIFY (and a slow poll as a safety net), and a snapshot every N changes.
import { readFileSync } from 'node:fs';
import { Engine, ClinicPortalError } from 'clinic-portal';

/** How many times one mutation is re-planned after losing the race for a sequence number. */
export const MAX_WRITE_ATTEMPTS = 32;
/** Default: a snapshot is stored after every this many changes. */
export const DEFAULT_SNAPSHOT_EVERY = 500;
/** Default safety-net poll for changes made by other processes, in milliseconds. */
export const DEFAULT_POLL_MS = 2000;

const UNIQUE_VIOLATION = '23505';
const SCHEMA = readFileSync(new URL('../schema.sql', import.meta.url), 'utf8');

/** The store gave up on a write (too many lost races, or the database failed). */
export class StoreBusyError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'StoreBusyError';
    this.code = 'store_unavailable';
  }
}

/** Runs `fn`s one after the other (a promise-chain mutex). */
class Serial {
  constructor() {
    /** @type {Promise<unknown>} */
    this.tail = Promise.resolve();
  }
  /**
   * @template T
   * @param {() => Promise<T>} fn
   * @returns {Promise<T>}
   */
  run(fn) {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * Runs `fn` in one transaction holding the advisory lock named `lock`: callers with the
 * same name run one after the other, across processes.
 * @param {import('pg').Pool} pool
 * @param {string} lock
 * @param {(client: import('pg').PoolClient) => Promise<void>} fn
 */
async function locked(pool, lock, fn) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lock]);
    await fn(client);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** Creates the tables (once per database; concurrent callers wait for each other). */
/** @param {import('pg').Pool} pool */
export async function migrate(pool) {
  await locked(pool, 'clinic-portal schema', async (client) => {
    await client.query(SCHEMA);
  });
}

export class PracticeStore {
  /**
   * @param {{pool: import('pg').Pool, practice: string, engine: Engine, snapshotEvery: number,
   *          snapshotSeq: number, log: (msg: string) => void}} opts
   */
  constructor(opts) {
    this.pool = opts.pool;
    this.practice = opts.practice;
    this.engine = opts.engine;
    this.snapshotEvery = opts.snapshotEvery;
    this.snapshotSeq = opts.snapshotSeq;
    this.log = opts.log;
    this.serial = new Serial();
    /** @type {import('pg').PoolClient | null} */
    this.listener = null;
    /** @type {NodeJS.Timeout | null} */
    this.poller = null;
    this.closed = false;
    /** Conflicts seen (another process stored the sequence number first). */
    this.conflicts = 0;
  }

  /**
   * Loads the practice: the latest snapshot and the changes after it; when the database has
   * none yet, `seed()` builds the first engine and its snapshot is stored (one process wins,
   * the others load what it stored).
   * @param {{pool: import('pg').Pool, practice: string, seed: () => Promise<Engine>,
   *          snapshotEvery?: number, log?: (msg: string) => void}} opts
   */
  static async open(opts) {
    const { pool, practice } = opts;
    const log = opts.log ?? (() => undefined);
    await migrate(pool);
    let row = await latestSnapshot(pool, practice);
    if (!row) {
      await locked(pool, `seed ${practice}`, async (client) => {
        const again = await client.query('SELECT 1 FROM snapshots WHERE practice = $1 LIMIT 1', [practice]);
        if (again.rowCount !== 0) return;
        const seeded = await opts.seed();
        await client.query('INSERT INTO snapshots (practice, seq, snapshot) VALUES ($1, $2, $3)', [
          practice,
          seeded.lastSeq(),
          seeded.snapshot(),
        ]);
        log(`seeded practice ${practice} at seq ${seeded.lastSeq()}`);
      });
      row = await latestSnapshot(pool, practice);
      if (!row) throw new Error(`practice ${practice}: no snapshot after seeding`);
    }
    const engine = await Engine.restoreAsync(row.snapshot);
    const store = new PracticeStore({
      pool,
      practice,
      engine,
      snapshotEvery: opts.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY,
      snapshotSeq: Number(row.seq),
      log,
    });
    await store.catchUp();
    return store;
  }

  /** Applies every stored change after the engine's last one (serialised with writes). */
  catchUp() {
    return this.serial.run(() => this.catchUpLocked());
  }

  async catchUpLocked() {
    const { rows } = await this.pool.query(
      'SELECT change FROM changes WHERE practice = $1 AND seq > $2 ORDER BY seq',
      [this.practice, this.engine.lastSeq()],
    );
    for (const { change } of rows) this.engine.apply(change);
    if (rows.length > 0) this.engine.compactJournal(this.engine.lastSeq());
    return rows.length;
  }

  /**
   * Runs one mutating operation durably: plan at the engine's last seq, INSERT the change,
   * apply it. A lost race (unique violation on (practice, seq)) catches up from the table and
   * plans again, at most MAX_WRITE_ATTEMPTS times. A refusal of the engine is thrown as its
   * ClinicPortalError and nothing is stored.
   * @param {import('clinic-portal').Operation} operation
   * @param {Date} now
   * @returns {Promise<import('clinic-portal').Json>}
   */
  run(operation, now) {
    return this.serial.run(async () => {
      for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
        const { change, outcome } = this.engine.planOperation(operation, now);
        if (!change) return outcome;
        try {
          await this.pool.query('INSERT INTO changes (practice, seq, change) VALUES ($1, $2, $3)', [
            this.practice,
            change.seq,
            JSON.stringify(change),
          ]);
        } catch (e) {
          if (/** @type {{code?: string}} */ (e).code !== UNIQUE_VIOLATION) {
            throw new StoreBusyError(`the journal could not be written: ${/** @type {Error} */ (e).message}`);
          }
          this.conflicts++;
          await this.catchUpLocked();
          continue;
        }
        this.engine.apply(change);
        this.engine.compactJournal(change.seq);
        if (change.seq - this.snapshotSeq >= this.snapshotEvery) await this.storeSnapshot();
        return outcome;
      }
      throw new StoreBusyError(`gave up after ${MAX_WRITE_ATTEMPTS} lost races for the next sequence number`);
    });
  }

  /** Stores a snapshot of the current state (called inside the write lock). */
  async storeSnapshot() {
    const json = await this.engine.snapshotAsync();
    const seq = this.engine.lastSeq();
    await this.pool.query(
      'INSERT INTO snapshots (practice, seq, snapshot) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [this.practice, seq, json],
    );
    this.snapshotSeq = seq;
    this.log(`snapshot of ${this.practice} at seq ${seq}`);
  }

  /** Follows the other processes: LISTEN portal_changes, plus a poll every `pollMs`. */
  async follow(pollMs = DEFAULT_POLL_MS) {
    const client = await this.pool.connect();
    this.listener = client;
    client.on('notification', (msg) => {
      const [practice, seq] = (msg.payload ?? '').split(' ');
      if (practice === this.practice && Number(seq) > this.engine.lastSeq()) this.catchUpQuietly();
    });
    client.on('error', (e) => this.log(`listener: ${e.message}`));
    await client.query('LISTEN portal_changes');
    this.poller = setInterval(() => this.catchUpQuietly(), pollMs);
    this.poller.unref();
  }

  catchUpQuietly() {
    if (this.closed) return;
    this.catchUp().catch((e) => this.log(`catch-up failed: ${e.message}`));
  }

  async close() {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    if (this.listener) {
      this.listener.release(true);
      this.listener = null;
    }
    await this.serial.run(async () => undefined);
  }
}

/**
 * @param {import('pg').Pool} pool
 * @param {string} practice
 * @returns {Promise<{seq: string, snapshot: string} | undefined>}
 */
async function latestSnapshot(pool, practice) {
  const { rows } = await pool.query(
    'SELECT seq, snapshot FROM snapshots WHERE practice = $1 ORDER BY seq DESC LIMIT 1',
    [practice],
  );
  return rows[0];
}

export { ClinicPortalError };
