// @ts-check
// The shared vectors (core/tests/vectors/*.json, format in its README.md) run through the
// Node API with the same expectations and cross-checks as the Rust runner
// (core/tests/vectors.rs): outcome subsets, error codes and cited rules, search/explain
// cross-checks, unchanged snapshots after failures, journal replay, and no password or
// token in a snapshot, the journal or an error message.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { Engine, ClinicPortalError } = require('clinic-portal');
const { validateResource } = require('./fhir-validator.js');

const DIR = path.join(__dirname, '..', '..', 'core', 'tests', 'vectors');
const MIN_VECTORS = 50;

/** @typedef {{[key: string]: any}} Obj */

// The fields each step may carry besides `op` and `note` (unknown fields are errors).
/** @type {{[op: string]: string[]}} */
const FIELDS = {
  search: ['now', 'query', 'expect'],
  explain: ['now', 'query', 'start', 'expect'],
  validate: ['expect'],
  add_appointment: ['appointment', 'expect'],
  update_appointment: ['appointment', 'expect'],
  remove_appointment: ['id', 'expect'],
  upsert_patient: ['patient', 'expect'],
  hold: ['now', 'request', 'expect'],
  book: ['now', 'request', 'expect'],
  accept: ['now', 'request', 'expect'],
  decline: ['now', 'request', 'expect'],
  cancel: ['now', 'request', 'expect'],
  reschedule: ['now', 'request', 'expect'],
  register_program: ['now', 'request', 'expect'],
  cancel_program_registration: ['now', 'id', 'actor', 'expect'],
  drain_outbox: ['expect'],
  journal_replay: [],
  create_account: ['now', 'request', 'expect'],
  login: ['now', 'username', 'password', 'expect'],
  change_password: ['now', 'account', 'current', 'new', 'expect'],
  link_account: ['now', 'account', 'patient', 'relationship', 'expect'],
  revoke_link: ['now', 'account', 'patient', 'expect'],
  confirm_link: ['now', 'account', 'patient', 'expect'],
  appointments_for_account: ['account', 'expect'],
  fhir_appointment: ['id', 'expect'],
  import_fhir_appointment: ['resource', 'expect'],
  ical_appointment: ['now', 'id', 'actor', 'expect'],
  invite: ['now', 'request', 'save_token_as', 'expect'],
  resend_invitation: ['now', 'id', 'save_token_as', 'expect'],
  delete_invitation: ['id', 'expect'],
  accept_invitation: ['now', 'token_ref', 'token', 'password', 'authenticated_account', 'account_id', 'expect'],
  bulk_invite: ['now', 'save_tokens_as', 'expect'],
  request_password_reset: ['now', 'username', 'save_token_as', 'expect'],
  reset_password: ['now', 'token_ref', 'token', 'password', 'expect'],
  signup: ['now', 'request', 'expect'],
  review_queue: ['expect'],
  mark_signup_reviewed: ['now', 'id', 'expect'],
  find_duplicates: ['patient', 'expect'],
  merge_patients: ['now', 'keep', 'merge', 'expect'],
  join_waitlist: ['now', 'request', 'expect'],
  leave_waitlist: ['now', 'id', 'actor', 'expect'],
  decline_waitlist_offer: ['now', 'id', 'actor', 'expect'],
  process_waitlist: ['now', 'expect'],
  waitlist: ['expect'],
};
const REQUIRED_EXPECT = new Set(['search', 'explain', 'validate', 'drain_outbox', 'review_queue', 'find_duplicates', 'waitlist']);
const SIMPLE_OPS = new Set(['add_appointment', 'update_appointment', 'remove_appointment', 'upsert_patient']);

/** @param {Obj} obj @param {string[]} allowed @param {string} what */
function onlyKeys(obj, allowed, what) {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw new Error(`${what}: unknown field \`${k}\``);
}

/** @param {string} s */
function rfc3339(s) {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s)) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

/** `want` must be a subset of `got` (README: "A subset of the outcome's JSON").
 * @param {any} want @param {any} got @param {string} at */
function subset(want, got, at) {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) throw new Error(`\`${at}\`: expected an object, got ${JSON.stringify(got)}`);
    for (const [k, v] of Object.entries(want)) {
      const p = at ? `${at}.${k}` : k;
      if (!Object.prototype.hasOwnProperty.call(got, k)) throw new Error(`the outcome has no field \`${p}\``);
      subset(v, got[k], p);
    }
    return;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) {
      throw new Error(`\`${at}\`: expected ${want.length} item(s), got ${JSON.stringify(got)}`);
    }
    want.forEach((w, i) => subset(w, got[i], `${at}[${i}]`));
    return;
  }
  if (typeof want === 'string' && typeof got === 'string' && want !== got) {
    const a = rfc3339(want);
    const b = rfc3339(got);
    if (a !== null && b !== null && a === b) return;
  }
  if (want !== got) throw new Error(`\`${at}\`: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}

/** Removes stored secrets at any depth. @param {any} v @returns {any} */
function publicJson(v) {
  if (Array.isArray(v)) return v.map(publicJson);
  if (v !== null && typeof v === 'object') {
    /** @type {Obj} */
    const out = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'password_hash' && k !== 'token_digest') out[k] = publicJson(x);
    return out;
  }
  return v;
}

/** @param {any} t */
function text(t) {
  if (typeof t === 'string') return t;
  onlyKeys(t, ['repeat', 'times'], 'text');
  return String(t.repeat).repeat(t.times);
}

/** @param {() => any} f @returns {{ok: true, value: any} | {ok: false, error: ClinicPortalError}} */
function attempt(f) {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (!(e instanceof ClinicPortalError)) throw e;
    return { ok: false, error: e };
  }
}

/** @param {{ok: boolean, error?: ClinicPortalError}} r @param {string | undefined} want */
function checkError(r, want) {
  if (r.ok && want === undefined) return;
  if (r.ok) throw new Error(`expected error \`${want}\`, got success`);
  const e = /** @type {ClinicPortalError} */ (r.error);
  if (want === undefined) throw new Error(`unexpected error ${e.code}: ${e.message}`);
  if (e.code !== want) throw new Error(`expected error \`${want}\`, got ${e.code}: ${e.message}`);
}

/** @param {ReturnType<typeof attempt>} r @param {Obj} expect @param {(v: any) => any} view */
function checkOutcome(r, expect, view) {
  if ('error' in expect) {
    const extra = Object.keys(expect).find((k) => k !== 'error' && k !== 'rule');
    if (extra) throw new Error(`an \`expect\` with \`error\` may only add \`rule\`, not \`${extra}\``);
    checkError(r, expect.error);
    if ('rule' in expect && !r.ok) {
      const cite = `rule ${expect.rule} (`;
      if (!r.error.message.includes(cite)) throw new Error(`expected the message to cite \`${cite}\`, got ${r.error.message}`);
    }
    return;
  }
  if ('rule' in expect) throw new Error('`rule` goes with `error` only');
  if (!r.ok) throw new Error(`unexpected error ${r.error.code}: ${r.error.message}`);
  subset(expect, view(r.value), '');
}

/** @param {string} a @param {string} b */
function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `…${a.slice(Math.max(0, i - 60), i + 100)}…`;
}

/** @param {Obj} a */
const accountView = (a) => publicJson(a);
/** @param {Obj} i */
const issuedView = (i) => ({ invitation: publicJson(i.invitation), notification: i.notification });

class Run {
  /** @param {string} file @param {Obj} vector */
  constructor(file, vector) {
    this.file = file;
    this.config = vector.config;
    /** @type {Engine | null} */
    this.engine = null;
    /** @type {ClinicPortalError | null} */
    this.buildError = null;
    try {
      this.engine = new Engine(vector.config);
    } catch (e) {
      if (!(e instanceof ClinicPortalError)) throw e;
      this.buildError = e;
    }
    /** @type {Array<[string, string]>} */
    this.initial = [];
    /** @type {Map<string, string>} */
    this.tokens = new Map();
    /** @type {string[]} */
    this.secrets = [];
  }

  /** @returns {Engine} */
  e() {
    if (!this.engine) throw new Error(`the configuration does not load: ${this.buildError?.message}`);
    return this.engine;
  }

  /** @param {any} t */
  secret(t) {
    const s = text(t);
    if ([...s].length >= 8) this.secrets.push(s);
    return s;
  }

  /** @param {string} name @param {string} token */
  saveToken(name, token) {
    if (this.tokens.has(name)) throw new Error(`token name \`${name}\` is already used in this vector`);
    this.tokens.set(name, token);
    this.secrets.push(token);
  }

  /** @param {string | undefined} ref @param {string | undefined} literal */
  token(ref, literal) {
    if (ref !== undefined && literal === undefined) {
      const t = this.tokens.get(ref);
      if (t === undefined) throw new Error(`no token was saved as \`${ref}\``);
      return t;
    }
    if (ref === undefined && literal !== undefined) return literal;
    throw new Error('give exactly one of `token_ref` and `token`');
  }

  /** @param {string} s @param {string} what */
  noSecrets(s, what) {
    const found = this.secrets.find((x) => s.includes(x));
    if (found) throw new Error(`${what} contains a password or token (${[...found].length} characters)`);
  }

  /** @param {ReturnType<typeof attempt>} r @param {Obj} expect @param {(v: any) => any} view */
  outcome(r, expect, view) {
    if (!r.ok) this.noSecrets(`${r.error.code}: ${r.error.message}`, 'the error message');
    checkOutcome(r, expect, view);
  }

  /** @param {Obj} step */
  expectsError(step) {
    if (['validate', 'drain_outbox', 'journal_replay'].includes(step.op)) return false;
    return step.expect !== undefined && step.expect !== null && 'error' in step.expect;
  }

  /** @param {Obj} step */
  checked(step) {
    const fields = FIELDS[step.op];
    if (!fields) throw new Error(`unknown op \`${step.op}\``);
    onlyKeys(step, ['op', 'note', ...fields], step.op);
    if (REQUIRED_EXPECT.has(step.op) && step.expect === undefined) throw new Error(`${step.op} needs \`expect\``);
    if (this.engine && this.expectsError(step)) {
      const before = this.engine.snapshot();
      this.step(step);
      const after = this.engine.snapshot();
      if (before !== after) {
        throw new Error(`the operation failed as expected but changed the snapshot\n  before ${firstDifference(before, after)}\n  after  ${firstDifference(after, before)}`);
      }
    } else {
      this.step(step);
    }
    if (this.engine && this.secrets.length > 0) {
      const snapshot = this.engine.snapshot();
      this.noSecrets(snapshot, 'the snapshot');
      this.noSecrets(JSON.stringify(this.engine.changesSince(0)), 'the journal');
      for (const a of JSON.parse(snapshot).accounts ?? []) {
        if (!String(a.password_hash ?? '').startsWith('$argon2id$')) throw new Error(`account \`${a.id}\` does not store an Argon2id hash`);
      }
      for (const a of this.engine.accounts()) {
        if ('password_hash' in a) throw new Error(`account \`${a.id}\` shows its hash`);
      }
    }
  }

  /** @param {Obj} s */
  step(s) {
    const x = s.expect ?? {};
    if (SIMPLE_OPS.has(s.op)) {
      onlyKeys(x, ['error'], 'expect');
      const e = this.e();
      const call = {
        add_appointment: () => e.addAppointment(s.appointment),
        update_appointment: () => e.updateAppointment(s.appointment),
        remove_appointment: () => e.removeAppointment(s.id),
        upsert_patient: () => e.upsertPatient(s.patient),
      }[/** @type {'add_appointment'} */ (s.op)];
      return checkError(attempt(call), x.error);
    }
    switch (s.op) {
      case 'search':
        return this.search(s.query, s.now, x);
      case 'explain':
        return this.explain(s.query, s.start, s.now, x);
      case 'validate':
        return this.validate(x);
      case 'drain_outbox':
        return this.drainOutbox(x);
      case 'journal_replay':
        return this.journalReplay();
      default:
        return this.operation(s, x);
    }
  }

  /** @param {Obj} s @param {Obj} x */
  operation(s, x) {
    const e = this.e();
    const id = (/** @type {any} */ v) => v;
    switch (s.op) {
      case 'hold':
        return checkOutcome(attempt(() => e.hold(s.request, s.now)), x, id);
      case 'book':
        return checkOutcome(attempt(() => e.book(s.request, s.now)), x, id);
      case 'accept':
        return checkOutcome(attempt(() => e.accept(s.request, s.now)), x, id);
      case 'decline':
        return checkOutcome(attempt(() => e.decline(s.request, s.now)), x, id);
      case 'cancel':
        return checkOutcome(attempt(() => e.cancel(s.request, s.now)), x, id);
      case 'reschedule':
        return checkOutcome(attempt(() => e.reschedule(s.request, s.now)), x, id);
      case 'register_program':
        return checkOutcome(attempt(() => e.registerProgram(s.request, s.now)), x, id);
      case 'cancel_program_registration':
        return checkOutcome(attempt(() => e.cancelProgramRegistration(s.id, s.actor, s.now)), x, id);
      case 'join_waitlist':
        return checkOutcome(attempt(() => e.joinWaitlist(s.request, s.now)), x, id);
      case 'leave_waitlist':
        return checkOutcome(attempt(() => e.leaveWaitlist(s.id, s.actor, s.now)), x, id);
      case 'decline_waitlist_offer':
        return checkOutcome(attempt(() => e.declineWaitlistOffer(s.id, s.actor, s.now)), x, id);
      case 'process_waitlist':
        return checkOutcome(attempt(() => e.processWaitlist(s.now)), x, id);
      case 'waitlist':
        return checkOutcome(attempt(() => e.waitlist()), x, (entries) => ({ entries }));
      case 'create_account': {
        const r = s.request;
        onlyKeys(r, ['id', 'username', 'password', 'patient', 'relationship'], 'request');
        const request = { ...r, password: this.secret(r.password) };
        return this.outcome(attempt(() => e.createAccount(request, s.now)), x, accountView);
      }
      case 'login':
        return this.outcome(attempt(() => e.login(s.username, this.secret(s.password), s.now)), x, accountView);
      case 'change_password':
        return this.outcome(
          attempt(() => e.changePassword(s.account, this.secret(s.current), this.secret(s.new), s.now)),
          x,
          accountView,
        );
      case 'link_account':
        return this.outcome(attempt(() => e.linkAccount(s.account, s.patient, s.relationship, s.now)), x, id);
      case 'revoke_link':
        return this.outcome(attempt(() => e.revokeLink(s.account, s.patient, s.now)), x, id);
      case 'confirm_link':
        return this.outcome(attempt(() => e.confirmLink(s.account, s.patient, s.now)), x, id);
      case 'appointments_for_account':
        return this.outcome(attempt(() => e.appointmentsForAccount(s.account)), x, (list) => ({
          appointments: list.map((/** @type {Obj} */ a) => a.id),
        }));
      case 'fhir_appointment':
        // The independent R4 validator reads every resource first (it throws when invalid).
        return this.outcome(attempt(() => e.fhirAppointment(s.id)), x, (r) => (validateResource(r), r));
      case 'import_fhir_appointment':
        return this.outcome(attempt(() => e.importFhirAppointment(s.resource)), x, id);
      case 'ical_appointment':
        return this.outcome(attempt(() => e.icalAppointment(s.id, s.actor, s.now)), x, (ics) => ({
          lines: String(ics).split('\r\n').filter((l) => l !== ''),
        }));
      case 'invite':
      case 'resend_invitation': {
        const r = attempt(() => (s.op === 'invite' ? e.invite(s.request, s.now) : e.resendInvitation(s.id, s.now)));
        if (r.ok && s.save_token_as !== undefined) this.saveToken(s.save_token_as, r.value.token);
        return this.outcome(r, x, issuedView);
      }
      case 'delete_invitation':
        return this.outcome(attempt(() => e.deleteInvitation(s.id)), x, publicJson);
      case 'accept_invitation': {
        const request = {
          token: this.token(s.token_ref, s.token),
          password: s.password === undefined ? null : this.secret(s.password),
          authenticated_account: s.authenticated_account ?? null,
          account_id: s.account_id ?? null,
        };
        return this.outcome(attempt(() => e.acceptInvitation(request, s.now)), x, accountView);
      }
      case 'bulk_invite': {
        const r = attempt(() => e.bulkInvite(s.now));
        if (r.ok) {
          for (const [patient, name] of Object.entries(s.save_tokens_as ?? {})) {
            const issued = r.value.invited.find((/** @type {Obj} */ i) => i.invitation.patient === patient);
            if (!issued) throw new Error(`save_tokens_as: patient \`${patient}\` was not invited`);
            this.saveToken(name, issued.token);
          }
        }
        return this.outcome(r, x, (report) => ({
          invited: report.invited.map((/** @type {Obj} */ i) => publicJson(i.invitation)),
          skipped: Object.keys(report.skipped)
            .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
            .map((p) => ({ patient: p, reason: report.skipped[p] })),
        }));
      }
      case 'request_password_reset': {
        const waiting = e.outbox();
        const last = waiting.length ? waiting[waiting.length - 1].id : 0;
        const r = attempt(() => e.requestPasswordReset(s.username, s.now));
        if (r.ok && s.save_token_as !== undefined) {
          const sent = e.outbox().filter((n) => n.id > last && n.kind === 'password_reset' && n.token);
          if (sent.length !== 1) {
            throw new Error(`save_token_as: expected one new password_reset notification with a token, found ${sent.length}`);
          }
          this.saveToken(s.save_token_as, /** @type {string} */ (sent[0].token));
        }
        return this.outcome(r, x, () => ({}));
      }
      case 'reset_password':
        return this.outcome(
          attempt(() => e.resetPassword(this.token(s.token_ref, s.token), this.secret(s.password), s.now)),
          x,
          accountView,
        );
      case 'signup': {
        const r = s.request;
        onlyKeys(r, ['email', 'password', 'first_name', 'last_name', 'birth_date', 'referral_type', 'patient_id', 'account_id'], 'request');
        const request = { ...r, password: this.secret(r.password) };
        return this.outcome(attempt(() => e.signup(request, s.now)), x, (o) => ({
          account: accountView(o.account),
          patient: o.patient,
          signup: o.signup,
        }));
      }
      case 'review_queue':
        return this.outcome(attempt(() => e.reviewQueue()), x, (q) => ({ signups: q }));
      case 'mark_signup_reviewed':
        return this.outcome(attempt(() => e.markSignupReviewed(s.id, s.now)), x, id);
      case 'find_duplicates':
        return this.outcome(attempt(() => e.findDuplicates(s.patient)), x, (c) => ({ candidates: c }));
      case 'merge_patients':
        return this.outcome(attempt(() => e.mergePatients(s.keep, s.merge, s.now)), x, id);
      default:
        throw new Error(`\`${s.op}\` is not an operation`);
    }
  }

  /** @param {Obj[]} expect */
  drainOutbox(expect) {
    const drained = this.e().drainOutbox();
    const got = drained.map((n) => [n.kind, n.recipients]);
    const want = expect.map((n) => {
      onlyKeys(n, ['kind', 'recipients', 'data', 'token_ref', 'save_token_as'], 'expected notification');
      return [n.kind, n.recipients];
    });
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(`notifications differ\n  expected ${JSON.stringify(want)}\n  got      ${JSON.stringify(got)}`);
    }
    drained.forEach((n, i) => {
      const w = expect[i];
      if (w.data !== undefined) {
        try {
          subset(w.data, n.data, 'data');
        } catch (err) {
          throw new Error(`notification ${i} (${w.kind}): ${/** @type {Error} */ (err).message}`);
        }
      }
      if (w.token_ref !== undefined && n.token !== this.token(w.token_ref, undefined)) {
        throw new Error(`notification ${i} (${w.kind}) does not carry the token saved as \`${w.token_ref}\``);
      }
      if (w.save_token_as !== undefined) {
        if (!n.token) throw new Error(`notification ${i} (${w.kind}) carries no token to save`);
        this.saveToken(w.save_token_as, n.token);
      }
    });
  }

  journalReplay() {
    const e = this.e();
    const now = e.snapshot();
    for (const [label, snapshot] of this.initial) {
      const seq = JSON.parse(snapshot).seq;
      if (typeof seq !== 'number') throw new Error(`the ${label} snapshot has no \`seq\``);
      const replica = Engine.restore(snapshot);
      const changes = e.changesSince(seq);
      for (const change of changes) replica.apply(change);
      const replayed = replica.snapshot();
      if (replayed !== now) {
        throw new Error(`replaying ${changes.length} change(s) onto the ${label} snapshot does not reproduce the engine\n  engine   ${firstDifference(now, replayed)}\n  replayed ${firstDifference(replayed, now)}`);
      }
    }
  }

  /** @param {Obj} query @param {string} now @param {Obj} x */
  search(query, now, x) {
    onlyKeys(x, ['count', 'starts', 'practitioners', 'clinics', 'remaining', 'error'], 'expect');
    const e = this.e();
    const r = attempt(() => e.search(/** @type {any} */ (query), now));
    if (x.error !== undefined) return checkError(r, x.error);
    if (x.count === undefined) throw new Error('a search step expects `count` or `error`');
    if (!r.ok) throw new Error(`unexpected error ${r.error.code}: ${r.error.message}`);
    /** @type {import('clinic-portal').Slot[]} */
    const slots = r.value.slots;
    const starts = slots.map((s) => s.start);
    if (slots.length !== x.count) throw new Error(`expected ${x.count} slots, got ${slots.length}: ${JSON.stringify(starts)}`);
    /** @param {string} what @param {any} want @param {any} got */
    const same = (what, want, got) => {
      if (JSON.stringify(want) !== JSON.stringify(got)) {
        throw new Error(`${what} differ\n  expected ${JSON.stringify(want)}\n  got      ${JSON.stringify(got)}`);
      }
    };
    if (x.starts !== undefined) same('starts', x.starts, starts);
    if (x.practitioners !== undefined) {
      same('practitioners', x.practitioners, slots.slice(0, x.practitioners.length).map((s) => s.practitioners.map((p) => p.practitioner)));
    }
    if (x.clinics !== undefined) same('clinics', x.clinics, slots.slice(0, x.clinics.length).map((s) => s.clinic));
    if (x.remaining !== undefined) {
      same('remaining capacities', x.remaining, slots.slice(0, x.remaining.length).map((s) => s.remaining_capacity));
    }
    // Cross-check: every returned start is explained as offered, by each candidate.
    for (const slot of slots) {
      const why = e.explain(/** @type {any} */ (query), slot.start, now);
      if (!why.offered) throw new Error(`cross-check: search returned ${slot.start} but explain refuses it: ${JSON.stringify(why)}`);
      for (const c of slot.practitioners) {
        const named = /** @type {any} */ ({ ...query, practitioner: c.practitioner, clinic: slot.clinic });
        const w = e.explain(named, slot.start, now);
        const v = w.practitioners.find((p) => p.practitioner === c.practitioner);
        if (!w.offered || !v || v.clinic !== slot.clinic) {
          throw new Error(`cross-check: search offers ${slot.start} with \`${c.practitioner}\` at \`${slot.clinic}\`, explain says ${JSON.stringify(w)}`);
        }
      }
    }
  }

  /** @param {Obj} query @param {string} start @param {string} now @param {Obj} x */
  explain(query, start, now, x) {
    onlyKeys(x, ['offered', 'rule', 'error'], 'expect');
    const e = this.e();
    const r = attempt(() => e.explain(/** @type {any} */ (query), start, now));
    if (x.error !== undefined) return checkError(r, x.error);
    if (!r.ok) throw new Error(`unexpected error ${r.error.code}: ${r.error.message}`);
    const why = r.value;
    if (x.offered === undefined) throw new Error('an explain step expects `offered` or `error`');
    if (why.offered !== x.offered) throw new Error(`expected offered = ${x.offered}, got ${JSON.stringify(why)}`);
    if (x.offered) {
      if (x.rule !== undefined) throw new Error('an offered start has no rule: drop `rule`');
      // Cross-check: a search of the days around the start's UTC date returns it.
      const at = Date.parse(start);
      const day = new Date(at).toISOString().slice(0, 10);
      const shift = (/** @type {number} */ d) => new Date(Date.parse(`${day}T00:00:00Z`) + d * 86400000).toISOString().slice(0, 10);
      const around = { ...query, from: shift(-1), to: shift(1) };
      const slots = e.search(/** @type {any} */ (around), now).slots;
      if (!slots.some((s) => s.start_unix * 1000 === at)) {
        throw new Error(`cross-check: explain offers ${start} but a search of ${around.from} to ${around.to} does not return it`);
      }
      return;
    }
    if (x.rule === undefined) throw new Error('an explain step that expects a refusal must give `rule`');
    if (why.rule !== x.rule) throw new Error(`expected rule ${x.rule}, got rule ${why.rule}: ${why.message}`);
  }

  /** @param {Obj} x */
  validate(x) {
    onlyKeys(x, ['errors', 'warnings'], 'expect');
    const diagnostics = Engine.validate(this.config);
    /** @param {string} severity */
    const paths = (severity) => [...new Set(diagnostics.filter((d) => d.severity === severity).map((d) => d.path))].sort();
    const wantErrors = [...new Set(/** @type {string[]} */ (x.errors))].sort();
    const wantWarnings = [...new Set(/** @type {string[]} */ (x.warnings))].sort();
    if (JSON.stringify(paths('error')) !== JSON.stringify(wantErrors) || JSON.stringify(paths('warning')) !== JSON.stringify(wantWarnings)) {
      throw new Error(`diagnostics differ\n  expected errors ${JSON.stringify(wantErrors)}, warnings ${JSON.stringify(wantWarnings)}\n  got ${JSON.stringify(diagnostics)}`);
    }
    if (wantErrors.length > 0) {
      if (this.engine) throw new Error('the configuration has errors but the engine was built');
      if (this.buildError?.code !== 'invalid_config') throw new Error(`building the engine must fail with invalid_config, got ${this.buildError?.code}`);
      return;
    }
    if (!this.engine) throw new Error(`no errors expected, but the engine fails: ${this.buildError?.message}`);
    const live = [...new Set(this.engine.warnings().map((d) => d.path))].sort();
    if (JSON.stringify(live) !== JSON.stringify(wantWarnings)) {
      throw new Error(`warnings() ${JSON.stringify(live)} differ from validate's ${JSON.stringify(wantWarnings)}`);
    }
  }
}

/** @param {string} file @returns {string[]} */
function runVector(file) {
  const vector = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'));
  onlyKeys(vector, ['name', 'description', 'config', 'patients', 'appointments', 'steps'], file);
  if (!Array.isArray(vector.steps) || vector.steps.length === 0) return [`${file}: has no steps`];
  const run = new Run(file, vector);
  if (run.engine) run.initial.push(['empty', run.engine.snapshot()]);
  if ((vector.patients ?? []).length || (vector.appointments ?? []).length) {
    const e = run.e();
    for (const p of vector.patients ?? []) e.upsertPatient(p);
    e.addAppointments(vector.appointments ?? []);
  }
  if (run.engine) run.initial.push(['loaded', run.engine.snapshot()]);
  /** @type {string[]} */
  const failures = [];
  vector.steps.forEach((/** @type {Obj} */ step, /** @type {number} */ i) => {
    try {
      run.checked(step);
    } catch (err) {
      const note = step.note ? ` [${step.note}]` : '';
      failures.push(`${file} step ${i} (${step.op})${note}: ${/** @type {Error} */ (err).message}`);
    }
  });
  if (run.engine) {
    try {
      run.journalReplay();
    } catch (err) {
      failures.push(`${file} after the last step (journal replay): ${/** @type {Error} */ (err).message}`);
    }
  }
  return failures;
}

const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

test('the vectors folder holds enough vectors', () => {
  assert.ok(files.length >= MIN_VECTORS, `expected at least ${MIN_VECTORS} vectors, found ${files.length}`);
});

for (const file of files) {
  test(`vector ${file}`, () => {
    const failures = runVector(file);
    assert.deepStrictEqual(failures, []);
  });
}

// The runner itself: a wrong expectation must fail (so a vector cannot pass by accident).
test('the subset match refuses a wrong value, a missing key and a different length', () => {
  assert.throws(() => subset({ a: 1 }, { a: 2 }, ''));
  assert.throws(() => subset({ b: 1 }, { a: 1 }, ''));
  assert.throws(() => subset([1], [1, 2], ''));
  assert.doesNotThrow(() => subset({ t: '2027-02-01T09:00:00-05:00' }, { t: '2027-02-01T14:00:00Z', x: 1 }, ''));
});
