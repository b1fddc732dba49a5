// @ts-check
// The HTTP API and the pages of the web example, over one PracticeStore.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { ClinicPortalError } from 'clinic-portal';
import { StoreBusyError } from './store.mjs';

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024;
/** Longest id (patient, appointment, hold, practitioner, clinic, service) in a request. */
export const MAX_ID_CHARS = 64;
/** Longest free text (notes, reasons) in a request. */
export const MAX_TEXT_CHARS = 2000;
/** Longest username, password or token in a request. */
export const MAX_SECRET_CHARS = 512;

/** The HTTP status of each engine error code (docs/errors.md); any other is 422. */
const STATUS = {
  not_found: 404,
  not_authorized: 403,
  portal_disabled: 403,
  signup_disabled: 403,
  credentials_invalid: 401,
  slot_unavailable: 409,
  capacity_full: 409,
  patient_busy: 409,
  hold_expired: 409,
  invalid_transition: 409,
  duplicate_id: 409,
  email_in_use: 409,
  idempotency_conflict: 409,
  limit_reached: 409,
  stale_sequence: 503,
  internal: 500,
};

/** An error answered as `{code, message}` with `status`. */
export class HttpError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const id = { type: 'string', minLength: 1, maxLength: MAX_ID_CHARS };
const text = { type: 'string', maxLength: MAX_TEXT_CHARS };
const secret = { type: 'string', minLength: 1, maxLength: MAX_SECRET_CHARS };
const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
const instant = { type: 'string', minLength: 10, maxLength: 40 };
/** @param {Record<string, object>} properties @param {string[]} [required] */
const object = (properties, required = []) => ({ type: 'object', additionalProperties: false, properties, required });
const idParam = object({ id }, ['id']);
const slotQuery = {
  service: id, from: date, to: date, practitioner: id, clinic: id, patient: id,
  after: instant, limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' }, telehealth: { enum: ['true', 'false'] },
};

/**
 * The engine's SlotQuery from a validated query string (bodies are not type-coerced, so the
 * query string's numbers and booleans are converted here).
 * @param {Record<string, string>} q
 * @returns {import('clinic-portal').SlotQuery}
 */
const toSlotQuery = ({ limit, telehealth, ...rest }) => /** @type {import('clinic-portal').SlotQuery} */ ({
  ...rest,
  ...(limit === undefined ? {} : { limit: Number(limit) }),
  ...(telehealth === undefined ? {} : { telehealth: telehealth === 'true' }),
});
const bookingTarget = { patient: id, service: id, start: instant, practitioner: id, clinic: id };

const page = (/** @type {string} */ name) => readFileSync(new URL(`../public/${name}`, import.meta.url), 'utf8');
const STATIC = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/staff', 'staff.html', 'text/html; charset=utf-8'],
  ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/staff.js', 'staff.js', 'text/javascript; charset=utf-8'],
  ['/common.js', 'common.js', 'text/javascript; charset=utf-8'],
  ['/style.css', 'style.css', 'text/css; charset=utf-8'],
];

/** @type {string | null} */
let openapiCache = null;
/** The committed OpenAPI document (read on first use). */
const openapiText = () => (openapiCache ??= readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'));

/** @param {string} s */
const digest = (s) => createHash('sha256').update(s).digest();

/**
 * Builds the server (not listening yet).
 * @param {{store: import('./store.mjs').PracticeStore, sessions: import('./session.mjs').Sessions,
 *          clock: () => Date, staff: {username: string, password: string} | null, logger?: boolean,
 *          onRoute?: (route: import('fastify').RouteOptions) => void}} opts
 */
export function buildApp(opts) {
  const { store, sessions, clock, staff } = opts;
  const engine = store.engine;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: MAX_BODY_BYTES,
    ajv: { customOptions: { removeAdditional: false, allErrors: false, coerceTypes: false } },
  });
  if (opts.onRoute) app.addHook('onRoute', opts.onRoute);
  app.removeContentTypeParser('text/plain'); // JSON only: anything else is 415

  app.setErrorHandler((err, _req, reply) => {
    const e = /** @type {any} */ (err);
    if (e instanceof HttpError) return reply.status(e.status).send({ code: e.code, message: e.message });
    if (e instanceof ClinicPortalError) {
      const status = /** @type {Record<string, number>} */ (STATUS)[e.code] ?? 422;
      return reply.status(status).send({ code: e.code, message: e.message });
    }
    if (e instanceof StoreBusyError) return reply.status(503).send({ code: e.code, message: e.message });
    if (e.validation) return reply.status(422).send({ code: 'invalid_input', message: `request ${e.message}` });
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.status(413).send({ code: 'payload_too_large', message: `the body is larger than ${MAX_BODY_BYTES} bytes` });
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return reply.status(415).send({ code: 'unsupported_media_type', message: 'send the body as application/json' });
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
      return reply.status(e.statusCode).send({ code: 'invalid_input', message: e.message });
    store.log(`internal error: ${e.stack ?? e}`);
    return reply.status(500).send({ code: 'internal', message: 'internal server error' });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  for (const [path, file, type] of STATIC) {
    const body = page(file);
    app.get(path, async (_req, reply) =>
      reply.type(type).header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').send(body));
  }
  app.get('/openapi.json', async (_req, reply) => reply.type('application/json').send(openapiText()));

  /** @param {import('fastify').FastifyRequest} req */
  const session = (req) => sessions.read(req.headers.cookie, clock());
  /** @param {import('fastify').FastifyRequest} req */
  const loggedIn = (req) => {
    const s = session(req);
    if (!s) throw new HttpError(401, 'not_logged_in', 'log in first');
    return s;
  };
  /** @param {import('fastify').FastifyRequest} req */
  const staffOnly = (req) => {
    const s = loggedIn(req);
    if (s.role !== 'staff') throw new HttpError(403, 'not_authorized', 'staff only');
    return s;
  };
  /** The acting portal account: the patient's account, or null on the trusted staff side. */
  /** @param {import('./session.mjs').Session} s */
  const actor = (s) => (s.role === 'patient' ? s.account : null);
  /** @param {import('clinic-portal').Operation} op */
  const run = (op) => store.run(op, clock());

  /** A patient's display name ("Ben Souza"), or null without a patient or name. */
  /** @param {string | null | undefined} id */
  const patientName = (id) => {
    if (!id) return null;
    try {
      const p = engine.patient(id);
      return [p.first_name, p.last_name].filter(Boolean).join(' ') || null;
    } catch (e) {
      if (e instanceof ClinicPortalError && e.code === 'not_found') return null;
      throw e;
    }
  };

  app.get('/api/health', async () => ({ ok: true, practice: store.practice, last_seq: engine.lastSeq() }));

  app.get('/api/practice', async () => {
    const c = engine.config();
    const consent = c.portal?.consent ?? null;
    return {
      practice: store.practice,
      clinics: (c.clinics ?? []).filter((x) => x.book_in_portal !== false)
        .map((x) => ({ id: x.id, name: x.name ?? x.id, time_zone: x.time_zone })),
      services: (c.services ?? []).filter((x) => x.book_from_portal !== false)
        .map((x) => ({ id: x.id, name: x.name ?? x.id, duration_minutes: x.duration_minutes })),
      practitioners: (c.practitioners ?? []).filter((x) => x.book_from_portal !== false)
        .map((x) => ({ id: x.id, name: x.name ?? x.id })),
      consent: consent && consent.enabled !== false ? { text: consent.text ?? '', required: consent.required !== false } : null,
      now: clock().toISOString(),
    };
  });

  app.post('/api/login', { schema: { body: object({ username: secret, password: secret }, ['username', 'password']) } },
    async (req, reply) => {
      const { username, password } = /** @type {{username: string, password: string}} */ (req.body);
      const account = /** @type {import('clinic-portal').Account} */ (await run({ op: 'login', username, password }));
      reply.header('set-cookie', sessions.issue({ role: 'patient', account: account.id }, clock()));
      return { role: 'patient', account: account.id, username: account.username };
    });

  app.post('/api/staff/login', { schema: { body: object({ username: secret, password: secret }, ['username', 'password']) } },
    async (req, reply) => {
      const { username, password } = /** @type {{username: string, password: string}} */ (req.body);
      const ok = staff !== null && username === staff.username &&
        timingSafeEqual(digest(password), digest(staff.password));
      if (!ok) throw new HttpError(401, 'credentials_invalid', 'unknown staff user or wrong password');
      reply.header('set-cookie', sessions.issue({ role: 'staff', staff: username }, clock()));
      return { role: 'staff', staff: username };
    });

  app.post('/api/logout', async (_req, reply) => {
    reply.header('set-cookie', sessions.clear());
    return { ok: true };
  });

  app.get('/api/me', async (req) => {
    const s = loggedIn(req);
    if (s.role === 'staff') return { role: 'staff', staff: s.staff, patients: [] };
    const account = engine.account(s.account);
    const links = engine.linksOfAccount(s.account).filter((l) => l.active);
    const patients = links.map((l) => {
      const p = engine.patient(l.patient);
      return { id: p.id, first_name: p.first_name ?? null, last_name: p.last_name ?? null, relationship: l.relationship };
    });
    return { role: 'patient', account: account.id, username: account.username, patients };
  });

  app.get('/api/slots', { schema: { querystring: object(slotQuery, ['service', 'from', 'to']) } }, async (req) => {
    const s = loggedIn(req);
    const q = toSlotQuery(/** @type {Record<string, string>} */ (req.query));
    return engine.searchAsync({ ...q, actor: actor(s) }, clock());
  });

  app.get('/api/explain', { schema: { querystring: object({ ...slotQuery, start: instant }, ['service', 'from', 'to', 'start']) } },
    async (req) => {
      const s = loggedIn(req);
      const { start, ...q } = /** @type {Record<string, string>} */ (req.query);
      return engine.explain({ ...toSlotQuery(q), actor: actor(s) }, start, clock());
    });

  app.post('/api/holds', { schema: { body: object({ ...bookingTarget, telehealth: { type: 'boolean' } }, ['service', 'start']) } },
    async (req, reply) => {
      const s = loggedIn(req);
      const hold = await run({ op: 'hold', request: { .../** @type {object} */ (req.body), actor: actor(s) } });
      return reply.status(201).send(hold);
    });

  app.delete('/api/holds/:id', { schema: { params: idParam } }, async (req) => {
    const s = loggedIn(req);
    const { id: hold } = /** @type {{id: string}} */ (req.params);
    return run({ op: 'release_hold', request: { hold, actor: actor(s) } });
  });

  app.post('/api/bookings', {
    schema: {
      body: object({
        ...bookingTarget, hold: id, consent_given: { type: 'boolean' }, notes: text,
        telehealth: { type: 'boolean' }, idempotency_key: id,
      }, ['patient']),
    },
  }, async (req, reply) => {
    const s = loggedIn(req);
    const body = /** @type {import('clinic-portal').BookRequest} */ (req.body);
    const booking = await run({ op: 'book', request: { consent_given: false, ...body, actor: actor(s) } });
    return reply.status(201).send(booking);
  });

  app.get('/api/appointments', async (req) => {
    const s = loggedIn(req);
    if (s.role !== 'patient') throw new HttpError(403, 'not_authorized', 'patients only: staff use /api/staff/appointments');
    return { appointments: engine.appointmentsForAccount(s.account) };
  });

  app.post('/api/appointments/:id/cancel', {
    schema: { params: idParam, body: object({ reason: text, idempotency_key: id }) },
  }, async (req) => {
    const s = loggedIn(req);
    const { id: appointment } = /** @type {{id: string}} */ (req.params);
    const body = /** @type {{reason?: string, idempotency_key?: string}} */ (req.body ?? {});
    const by = s.role === 'staff' ? 'staff' : 'patient';
    return run({ op: 'cancel', request: { ...body, appointment, by, actor: actor(s) } });
  });

  app.post('/api/appointments/:id/reschedule', {
    schema: { params: idParam, body: object({ start: instant, practitioner: id, clinic: id, idempotency_key: id }, ['start']) },
  }, async (req) => {
    const s = loggedIn(req);
    const { id: appointment } = /** @type {{id: string}} */ (req.params);
    return run({ op: 'reschedule', request: { .../** @type {object} */ (req.body), appointment, actor: actor(s) } });
  });

  app.post('/api/invitations/accept', { schema: { body: object({ token: secret, password: secret }, ['token']) } },
    async (req, reply) => {
      const s = session(req);
      const { token, password } = /** @type {{token: string, password?: string}} */ (req.body);
      const request = s?.role === 'patient' ? { token, authenticated_account: s.account } : { token, password };
      const account = /** @type {import('clinic-portal').Account} */ (await run({ op: 'accept_invitation', request }));
      reply.header('set-cookie', sessions.issue({ role: 'patient', account: account.id }, clock()));
      return { role: 'patient', account: account.id, username: account.username };
    });

  // Staff side.
  app.get('/api/staff/pending', async (req) => {
    staffOnly(req);
    const pending = engine.pendingQueue(clock()).map((item) => ({ ...item, patient_name: patientName(item.appointment.patient) }));
    return { pending };
  });

  for (const decision of /** @type {const} */ (['accept', 'decline'])) {
    app.post(`/api/staff/appointments/:id/${decision}`, { schema: { params: idParam, body: object({ note: text }) } },
      async (req) => {
        staffOnly(req);
        const { id: appointment } = /** @type {{id: string}} */ (req.params);
        const { note } = /** @type {{note?: string}} */ (req.body ?? {});
        return run({ op: decision, request: { appointment, note: note || null } });
      });
  }

  app.get('/api/staff/appointments', { schema: { querystring: object({ from: date, to: date, clinic: id, practitioner: id }, ['from', 'to']) } },
    async (req) => {
      staffOnly(req);
      const q = /** @type {{from: string, to: string, clinic?: string, practitioner?: string}} */ (req.query);
      return { appointments: engine.reportPortalAppointments({ ...q, statuses: [] }) };
    });

  app.get('/api/staff/appointments/:id', { schema: { params: idParam } }, async (req) => {
    staffOnly(req);
    return engine.appointment(/** @type {{id: string}} */ (req.params).id);
  });

  app.put('/api/staff/patients/:id', { schema: { params: idParam, body: { type: 'object', maxProperties: 32 } } },
    async (req) => {
      staffOnly(req);
      const { id: patientId } = /** @type {{id: string}} */ (req.params);
      const patient = /** @type {import('clinic-portal').Patient} */ ({ ...(/** @type {object} */ (req.body)), id: patientId });
      await run({ op: 'upsert_patient', patient });
      return engine.patient(patientId);
    });

  app.post('/api/staff/invitations', {
    schema: { body: object({ patient: id, relationship: { enum: ['self', 'guardian', 'carer'] }, email: secret }, ['patient', 'relationship']) },
  }, async (req, reply) => {
    staffOnly(req);
    const issued = await run({ op: 'invite', request: /** @type {import('clinic-portal').InviteRequest} */ (req.body) });
    return reply.status(201).send(issued);
  });

  app.get('/api/staff/status', async (req) => {
    staffOnly(req);
    const snapshot = await engine.snapshotAsync();
    return {
      practice: store.practice,
      last_seq: engine.lastSeq(),
      snapshot_sha256: createHash('sha256').update(snapshot).digest('hex'),
      appointments: engine.appointmentCount(),
      conflicts: store.conflicts,
    };
  });

  return app;
}
