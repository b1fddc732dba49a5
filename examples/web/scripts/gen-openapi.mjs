// @ts-check
// Writes openapi.json from the server's own routes and their request schemas, so the
// document cannot drift from the code: `node scripts/gen-openapi.mjs` (or `--check`, which
// fails when the committed file differs). Every route needs a summary below.
import { readFileSync, writeFileSync } from 'node:fs';
import { buildApp } from '../lib/app.mjs';
import { Sessions } from '../lib/session.mjs';

/** What each route does, by "METHOD path" (Fastify's path syntax). */
export const SUMMARIES = {
  'GET /': 'The patient booking page (HTML).',
  'GET /staff': 'The staff page: the pending queue (HTML).',
  'GET /app.js': 'Script of the patient page.',
  'GET /staff.js': 'Script of the staff page.',
  'GET /common.js': 'Script shared by both pages.',
  'GET /style.css': 'Style sheet of both pages.',
  'GET /openapi.json': 'This document.',
  'GET /api/health': 'Liveness, and the last sequence number this process has applied.',
  'GET /api/practice': "The practice's bookable clinics (with time zones), services, practitioners, consent text and the server's clock.",
  'POST /api/login': 'Logs a portal account in: sets the HttpOnly, SameSite=Strict session cookie.',
  'POST /api/staff/login': 'Logs a staff user in (the session cookie, role staff).',
  'POST /api/logout': 'Clears the session cookie.',
  'GET /api/me': 'Who is logged in; for a portal account, the patients it may act for (itself and its dependants).',
  'GET /api/slots': 'The bookable starts of a service between two local dates; as a portal account, `patient` is required and must be linked.',
  'GET /api/explain': 'Why a start is or is not bookable, rule by rule.',
  'POST /api/holds': 'Holds a start for a few minutes (201: the hold).',
  'DELETE /api/holds/{id}': 'Releases a hold.',
  'POST /api/bookings': 'Books a start or converts a hold (201: the booking; status pending until staff accept, when the practice asks for it).',
  'GET /api/appointments': "The logged-in account's appointments and its dependants'.",
  'POST /api/appointments/{id}/cancel': 'Cancels an appointment: inside the cancel window for a patient (422 cancel_window_closed otherwise); staff give a reason.',
  'POST /api/appointments/{id}/reschedule': 'Moves an appointment to another start.',
  'POST /api/invitations/accept': 'Accepts an invitation link: a new account with `password`, or the logged-in account gains the link.',
  'GET /api/staff/pending': "Staff: the pending requests, oldest first, each with the patient's name.",
  'POST /api/staff/appointments/{id}/accept': 'Staff: accepts a pending request, with an optional note to the patient.',
  'POST /api/staff/appointments/{id}/decline': 'Staff: declines a pending request, with an optional note to the patient.',
  'GET /api/staff/appointments': 'Staff: the portal appointments between two local dates.',
  'GET /api/staff/appointments/{id}': 'Staff: one appointment.',
  'PUT /api/staff/patients/{id}': "Staff: creates or replaces a patient (the engine's Patient shape).",
  'POST /api/staff/invitations': 'Staff: invites a patient, guardian or carer (201: the invitation and its one-time token).',
  'GET /api/staff/status': "Staff: this process's last sequence number and a SHA-256 of its snapshot (equal in every process in the same state).",
};

const CREATED = new Set(['POST /api/holds', 'POST /api/bookings', 'POST /api/staff/invitations']);

/** @param {string} url Fastify path → OpenAPI path */
export const openapiPath = (url) => url.replace(/:([A-Za-z_]+)/g, '{$1}');

/**
 * An onRoute hook that records each route (HEAD routes, which Fastify adds, left out).
 * @param {Map<string, any>} into
 * @returns {(route: import('fastify').RouteOptions) => void}
 */
export function routeCollector(into) {
  return (r) => {
    for (const method of [r.method].flat()) {
      if (method !== 'HEAD') into.set(`${method} ${openapiPath(r.url)}`, r.schema ?? {});
    }
  };
}

/**
 * The routes of an app built with buildApp, as "METHOD path" with their schemas.
 * @returns {Promise<Map<string, any>>}
 */
export async function collectRoutes() {
  /** @type {Map<string, any>} */
  const routes = new Map();
  const store = /** @type {any} */ ({ engine: null, practice: 'example', log: () => undefined });
  const app = buildApp({ store, sessions: new Sessions({ secret: 'x', secure: false }), clock: () => new Date(), staff: null,
    onRoute: routeCollector(routes) });
  await app.ready();
  await app.close();
  return routes;
}

const ERROR = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', description: 'A stable error code: an engine code (docs/errors.md) or not_logged_in, payload_too_large, unsupported_media_type, store_unavailable.' },
    message: { type: 'string', description: 'Names the entity and the rule.' },
  },
};

/** @param {string} key @param {any} schema */
function operation(key, schema) {
  const [method, path] = key.split(' ');
  const summary = /** @type {Record<string, string>} */ (SUMMARIES)[key];
  if (!summary) throw new Error(`gen-openapi: no summary for route ${key}`);
  /** @type {any} */
  const op = { summary, operationId: `${method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c) => (c ? c.toUpperCase() : ''))}` };
  const parameters = [];
  for (const [where, source] of [['path', schema.params], ['query', schema.querystring]]) {
    if (!source) continue;
    for (const [name, s] of Object.entries(source.properties ?? {})) {
      parameters.push({ name, in: where, required: where === 'path' || (source.required ?? []).includes(name), schema: s });
    }
  }
  if (parameters.length) op.parameters = parameters;
  if (schema.body) op.requestBody = { required: true, content: { 'application/json': { schema: schema.body } } };
  const isApi = path.startsWith('/api/') || path === '/openapi.json';
  const ok = CREATED.has(key) ? '201' : '200';
  const type = isApi ? 'application/json' : path.endsWith('.js') ? 'text/javascript' : path.endsWith('.css') ? 'text/css' : 'text/html';
  op.responses = {
    [ok]: { description: 'Success.', content: { [type]: {} } },
    ...(isApi && path !== '/openapi.json' && path !== '/api/health'
      ? { default: { description: 'An error: 401 not logged in, 403 not_authorized, 404 not_found, 409 slot_unavailable / capacity_full and other conflicts, 413, 415, 422 invalid_input and rule refusals, 503 store_unavailable.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } }
      : {}),
  };
  return [method.toLowerCase(), path, op];
}

/** The OpenAPI document as text. */
export async function generate() {
  const routes = await collectRoutes();
  /** @type {Record<string, Record<string, object>>} */
  const paths = {};
  for (const key of [...routes.keys()].sort()) {
    const [method, path, op] = operation(key, routes.get(key));
    (paths[path] ??= {})[method] = op;
  }
  const extra = Object.keys(SUMMARIES).filter((k) => !routes.has(k));
  if (extra.length) throw new Error(`gen-openapi: summaries of routes that do not exist: ${extra.join(', ')}`);
  const doc = {
    openapi: '3.1.0',
    info: {
      title: 'clinic-portal web example',
      version: JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
      description: 'The HTTP API of examples/web: online booking on the clinic-portal engine, journaled in PostgreSQL. Authentication is the cp_session cookie set by the login routes. Errors are {code, message}. Generated by scripts/gen-openapi.mjs.',
    },
    components: {
      schemas: { Error: ERROR },
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'cp_session' } },
    },
    paths,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = new URL('../openapi.json', import.meta.url);
  const text = await generate();
  if (process.argv.includes('--check')) {
    if (readFileSync(file, 'utf8') !== text) {
      console.error('openapi.json is stale: run node scripts/gen-openapi.mjs');
      process.exit(1);
    }
  } else {
    writeFileSync(file, text);
  }
}
