// @ts-check
// The Node API on the sample practice (examples/data): the booking lifecycle, a guardian
// booking for a child, invitations, reconfiguration, plan/apply persistence, snapshots,
// async variants run concurrently, and `require` / `import` of the package.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { Engine, ClinicPortalError, ERROR_CODES } = require('clinic-portal');
const { PRACTICE, NOW, SERVICE, WEEK, sample } = require('./sample');

/** @param {() => unknown} f @param {string} code */
function throwsCode(f, code) {
  assert.throws(f, (/** @type {unknown} */ e) => {
    assert.ok(e instanceof ClinicPortalError, `not a ClinicPortalError: ${e}`);
    assert.strictEqual(e.code, code, e.message);
    return true;
  });
}

test('configuration from an object, from JSON, and validation', () => {
  const fromJson = Engine.fromJson(PRACTICE);
  const fromObject = new Engine(JSON.parse(PRACTICE));
  assert.deepStrictEqual(fromObject.config(), fromJson.config());
  assert.deepStrictEqual(Engine.validate(JSON.parse(PRACTICE)), Engine.validateJson(PRACTICE));
  assert.deepStrictEqual(fromJson.warnings(), Engine.validateJson(PRACTICE));
  const bad = { clinics: [{ id: 'c', time_zone: 'Mars/Olympus' }] };
  assert.ok(Engine.validate(bad).some((d) => d.severity === 'error' && d.path === 'clinics[0].time_zone'));
  throwsCode(() => new Engine(bad), 'invalid_config');
});

test('search: slots in the clinic offset, epoch seconds, paging', () => {
  const engine = sample();
  const week = engine.search(WEEK, NOW);
  assert.ok(week.slots.length > 4);
  const first = week.slots[0];
  assert.match(first.start, /^2027-03-\d\dT\d\d:\d\d:00-0[45]:00$/);
  assert.strictEqual(Date.parse(first.start) / 1000, first.start_unix);
  assert.strictEqual(Date.parse(first.end) / 1000, first.end_unix);
  assert.strictEqual(first.end_unix - first.start_unix, 30 * 60);
  assert.deepStrictEqual(first.practitioners.map((p) => p.practitioner), ['christine']);
  // Date accepted for `now`, same answer.
  assert.deepStrictEqual(engine.search(WEEK, new Date(NOW)), week);
  // Paging with `limit` and `after` gives the same starts.
  const page = engine.search({ ...WEEK, limit: 3 }, NOW);
  assert.strictEqual(page.truncated, true);
  assert.ok(page.next_after);
  const rest = engine.search({ ...WEEK, after: /** @type {string} */ (page.next_after) }, NOW);
  assert.deepStrictEqual(
    [...page.slots, ...rest.slots].map((s) => s.start),
    week.slots.map((s) => s.start),
  );
  // explain agrees with search.
  assert.strictEqual(engine.explain(WEEK, first.start, NOW).offered, true);
  const refused = engine.explain(WEEK, '2027-03-09T03:00:00-05:00', NOW);
  assert.strictEqual(refused.offered, false);
  assert.strictEqual(typeof refused.rule, 'number');
});

test('slot instants: the clinic offset, across the daylight-saving change of 2027-03-14', () => {
  const engine = sample();
  const { slots } = engine.search({ ...WEEK, practitioner: null }, NOW);
  const offsets = new Set(slots.map((s) => s.utc_offset_seconds));
  assert.ok(offsets.has(-18000) && offsets.has(-14400), 'Toronto in EST and in EDT');
  assert.ok(offsets.has(-28800) && offsets.has(-25200), 'Vancouver in PST and in PDT');
  /** @param {number} unix @param {number} offset */
  const iso = (unix, offset) => {
    const local = new Date((unix + offset) * 1000).toISOString().slice(0, 19);
    const m = Math.abs(offset) / 60;
    return `${local}${offset < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  };
  for (const s of slots) {
    assert.strictEqual(s.start, iso(s.start_unix, s.utc_offset_seconds));
    assert.strictEqual(s.end, iso(s.end_unix, s.utc_offset_seconds));
  }
});

test('booking lifecycle: hold, book, accept, reschedule, cancel, outbox', () => {
  const engine = sample();
  const slots = engine.search(WEEK, NOW).slots;
  const hold = engine.hold({ service: SERVICE, start: slots[0].start, practitioner: 'christine', patient: 'pat-chloe' }, NOW);
  assert.strictEqual(engine.getHold(hold.id).id, hold.id);
  assert.ok(!engine.search(WEEK, NOW).slots.some((s) => s.start === slots[0].start), 'a held time is not offered');
  const booked = engine.book({ patient: 'pat-chloe', hold: hold.id, consent_given: true }, NOW);
  const id = booked.appointment.id;
  assert.strictEqual(engine.appointment(id).patient, 'pat-chloe');
  assert.deepStrictEqual(engine.bookingDetails(id), booked.details);
  const status = booked.appointment.status;
  if (status === 'pending') {
    assert.strictEqual(engine.accept({ appointment: id }, NOW).appointment.status, 'booked');
  }
  const moved = engine.reschedule({ appointment: id, start: slots[slots.length - 1].start }, NOW);
  assert.strictEqual(moved.before.id, id);
  const newId = moved.after.appointment.id;
  assert.strictEqual(Date.parse(moved.after.appointment.start), Date.parse(slots[slots.length - 1].start));
  const cancelled = engine.cancel({ appointment: newId, by: 'patient', reason: 'sick' }, NOW);
  assert.strictEqual(cancelled.appointment.status, 'cancelled');
  assert.strictEqual(typeof cancelled.late_cancel_fee, 'boolean');
  const waiting = engine.outbox();
  const drained = engine.drainOutbox();
  assert.deepStrictEqual(drained, waiting);
  assert.ok(drained.length >= 2);
  assert.deepStrictEqual(engine.drainOutbox(), []);
  assert.ok(engine.pendingQueue(NOW).every((p) => p.appointment.id !== newId), 'a cancelled request waits for nobody');
  assert.ok(engine.reportPortalAppointments({ from: '2027-03-01', to: '2027-03-31' }).some((a) => a.id === id));
});

test('a released hold and purged holds free the time', () => {
  const engine = sample();
  const start = engine.search(WEEK, NOW).slots[0].start;
  const hold = engine.hold({ service: SERVICE, start, practitioner: 'christine' }, NOW);
  assert.strictEqual(engine.releaseHold({ hold: hold.id }).id, hold.id);
  throwsCode(() => engine.getHold(hold.id), 'not_found');
  engine.hold({ service: SERVICE, start, practitioner: 'christine' }, NOW);
  assert.strictEqual(engine.purgeExpiredHolds(new Date(Date.parse(NOW) + 24 * 3600 * 1000)), 1);
});

test('guardian flow: an account books for a linked child, not for others', () => {
  const engine = sample();
  const ana = engine.createAccount({ id: 'acct-ana', username: 'ana.souza@example.com', password: 'correct horse battery', patient: 'pat-ana' }, NOW);
  assert.deepStrictEqual(engine.account(ana.id), ana);
  assert.deepStrictEqual(engine.accountByUsername('ANA.SOUZA@example.com'), ana);
  assert.ok(!('password_hash' in engine.accounts()[0]));
  const link = engine.linkAccount(ana.id, 'pat-ben', 'guardian', NOW);
  assert.strictEqual(link.relationship, 'guardian');
  assert.deepStrictEqual(engine.patientsOfAccount(ana.id).sort(), ['pat-ana', 'pat-ben']);
  assert.strictEqual(engine.linksOfPatient('pat-ben')[0].account, ana.id);
  assert.strictEqual(engine.linksOfAccount(ana.id).length, 2);
  const start = engine.search({ ...WEEK, actor: ana.id, patient: 'pat-ben' }, NOW).slots[0].start;
  const booking = engine.book({ patient: 'pat-ben', service: SERVICE, practitioner: 'christine', start, actor: ana.id, consent_given: true }, NOW);
  assert.strictEqual(booking.appointment.patient, 'pat-ben');
  assert.ok(engine.appointmentsForAccount(ana.id).some((a) => a.id === booking.appointment.id));
  throwsCode(
    () => engine.book({ patient: 'pat-chloe', service: SERVICE, practitioner: 'christine', start, actor: ana.id, consent_given: true }, NOW),
    'not_authorized',
  );
  assert.strictEqual(engine.login('ana.souza@example.com', 'correct horse battery', NOW).id, ana.id);
  throwsCode(() => engine.login('ana.souza@example.com', 'wrong password!', NOW), 'credentials_invalid');
  engine.changePassword(ana.id, 'correct horse battery', 'another long secret', NOW);
  assert.strictEqual(engine.login('ana.souza@example.com', 'another long secret', NOW).id, ana.id);
  assert.strictEqual(engine.revokeLink(ana.id, 'pat-ben', NOW).active, false);
  throwsCode(() => engine.search({ ...WEEK, actor: ana.id, patient: 'pat-ben' }, NOW), 'not_authorized');
});

test('invitations: invite, resend revokes, accept once, password reset', () => {
  const engine = sample();
  const first = engine.invite({ patient: 'pat-chloe', relationship: 'self' }, NOW);
  assert.ok(first.token.length > 10);
  assert.ok(!('token_digest' in engine.invitation(first.invitation.id)));
  const again = engine.resendInvitation(first.invitation.id, NOW);
  assert.deepStrictEqual(engine.invitationsOf('pat-chloe').map((i) => i.id), [first.invitation.id]);
  throwsCode(() => engine.acceptInvitation({ token: first.token, password: 'a long password' }, NOW), 'invitation_invalid');
  const account = engine.acceptInvitation({ token: again.token, password: 'a long password', account_id: 'acct-chloe' }, NOW);
  assert.strictEqual(account.id, 'acct-chloe');
  throwsCode(() => engine.acceptInvitation({ token: again.token, password: 'a long password' }, NOW), 'invitation_invalid');
  const sent = engine.drainOutbox().filter((n) => n.kind === 'invitation');
  assert.strictEqual(sent[sent.length - 1].token, again.token);
  engine.requestPasswordReset(account.username, NOW);
  const reset = engine.drainOutbox().find((n) => n.kind === 'password_reset');
  assert.ok(reset && reset.token);
  engine.resetPassword(/** @type {string} */ (reset.token), 'a new long password', NOW);
  assert.strictEqual(engine.login(account.username, 'a new long password', NOW).id, 'acct-chloe');
  const dev = engine.invite({ patient: 'pat-dev', relationship: 'self' }, NOW);
  assert.strictEqual(engine.deleteInvitation(dev.invitation.id).id, dev.invitation.id);
  const bulk = engine.bulkInvite(NOW);
  assert.ok(Array.isArray(bulk.invited));
  assert.strictEqual(typeof bulk.skipped, 'object');
});

test('signup, duplicates, merge, referrals', () => {
  const engine = sample();
  const types = engine.signupReferralTypes();
  const request = {
    email: 'chloe.m@example.com', password: 'a long password', first_name: 'Chloe', last_name: 'M',
    patient_id: 'web-1', account_id: 'acct-web', ...(types.length ? { referral_type: types[0].id } : {}),
  };
  let outcome;
  try {
    outcome = engine.signup(request, NOW);
  } catch (e) {
    assert.ok(e instanceof ClinicPortalError && e.code === 'signup_disabled', String(e));
    return;
  }
  assert.strictEqual(outcome.patient.id, 'web-1');
  assert.deepStrictEqual(engine.reviewQueue().map((s) => s.id), ['web-1']);
  assert.strictEqual(engine.markSignupReviewed('web-1', NOW).id, 'web-1');
  const duplicates = engine.findDuplicates('web-1');
  assert.ok(duplicates.some((d) => d.patient === 'pat-chloe'));
  const merged = engine.mergePatients('pat-chloe', 'web-1', NOW);
  assert.strictEqual(merged.kept.id, 'pat-chloe');
  assert.strictEqual(engine.replacedBy('web-1')?.replaced_by, 'pat-chloe');
  assert.strictEqual(engine.replacedBy('pat-chloe'), null);
  assert.ok(Array.isArray(engine.reportReferrals()));
});

test('programs, reports, button, service report', () => {
  const engine = sample();
  const programs = engine.config().programs ?? [];
  if (programs.length) {
    const sessions = engine.programSessions(programs[0].id, '2027-03-08', '2027-04-30');
    assert.deepStrictEqual(engine.reportPrograms('2027-03-08', '2027-04-30').filter((s) => s.program === programs[0].id).length, sessions.length);
    if (sessions.length) {
      const s = sessions[0];
      const r = engine.registerProgram({ program: s.program, patient: 'pat-dev', session_date: s.date }, NOW);
      assert.strictEqual(engine.registration(r.id).status, 'registered');
      assert.strictEqual(engine.cancelProgramRegistration(r.id, null, NOW).status, 'cancelled');
    }
  }
  throwsCode(() => engine.programSessions('no-such-program', '2027-03-08', '2027-03-09'), 'not_found');
  throwsCode(() => engine.programSessions('x', 'March 8', '2027-03-09'), 'invalid_input');
  assert.match(engine.bookButtonHtml('https://example.test/book'), /https:\/\/example\.test\/book/);
  assert.strictEqual(engine.serviceReport(SERVICE).service, SERVICE);
  assert.strictEqual(engine.intakeFormCompleted('pat-dev', 'intake', NOW) === null || typeof engine.outbox()[0]?.id === 'number', true);
});

test('patients and host appointments', () => {
  const engine = sample();
  const before = engine.appointmentCount();
  engine.upsertPatient({ id: 'pat-new', first_name: 'New' });
  assert.strictEqual(engine.patient('pat-new').first_name, 'New');
  const appt = { id: 'host-1', practitioner: 'christine', patient: 'pat-new', start: '2027-03-09T14:00:00Z', end: '2027-03-09T14:30:00Z', status: /** @type {const} */ ('booked') };
  engine.addAppointment(appt);
  throwsCode(() => engine.addAppointment(appt), 'duplicate_id');
  engine.updateAppointment({ ...appt, end: '2027-03-09T15:00:00Z' });
  assert.strictEqual(Date.parse(engine.appointment('host-1').end), Date.parse('2027-03-09T15:00:00Z'));
  assert.strictEqual(engine.appointmentCount(), before + 1);
  throwsCode(() => engine.removePatient('pat-new'), 'invalid_input');
  assert.strictEqual(engine.removeAppointment('host-1').id, 'host-1');
  assert.strictEqual(engine.removePatient('pat-new').id, 'pat-new');
  throwsCode(() => engine.patient('pat-new'), 'not_found');
});

test('reconfiguration: closures and a new configuration', () => {
  const engine = sample();
  const day = engine.search({ ...WEEK, from: '2027-03-10', to: '2027-03-10' }, NOW).slots;
  assert.ok(day.length > 0);
  const report = engine.putClosure({ id: 'flood', clinic: day[0].clinic, date: '2027-03-10', reason: 'flood' }, NOW);
  assert.ok(Array.isArray(report.stranded));
  assert.deepStrictEqual(engine.search({ ...WEEK, from: '2027-03-10', to: '2027-03-10' }, NOW).slots, []);
  engine.removeClosure('flood', NOW);
  assert.strictEqual(engine.search({ ...WEEK, from: '2027-03-10', to: '2027-03-10' }, NOW).slots.length, day.length);
  const config = engine.config();
  config.services = (config.services ?? []).filter((s) => s.id !== SERVICE);
  const r = engine.reconfigure(config, NOW);
  assert.ok(Array.isArray(r.warnings));
  throwsCode(() => engine.search(WEEK, NOW), 'not_found');
  engine.reconfigure(PRACTICE, NOW);
  assert.ok(engine.search(WEEK, NOW).slots.length > 0);
});

test('plan/apply: the host loop stores a change, then applies it; a replica catches up', () => {
  const engine = sample();
  const replica = Engine.restore(engine.snapshot());
  /** @type {Array<{seq: number, json: string}>} */
  const journal = [];
  const start = engine.search(WEEK, NOW).slots[0].start;
  const op = { op: /** @type {const} */ ('book'), request: { patient: 'pat-dev', service: SERVICE, practitioner: 'christine', start, consent_given: true } };
  const seq = engine.lastSeq();
  const planned = engine.planOperation(op, NOW);
  assert.ok(planned.change);
  assert.strictEqual(engine.lastSeq(), seq, 'planning changes nothing');
  assert.strictEqual(planned.change.seq, seq + 1);
  journal.push({ seq: planned.change.seq, json: JSON.stringify(planned.change) });
  assert.strictEqual(engine.apply(planned.change), seq + 1);
  const outcome = /** @type {{appointment: {id: string}}} */ (planned.outcome);
  assert.strictEqual(engine.appointment(outcome.appointment.id).patient, 'pat-dev');
  // Applying it again is stale.
  throwsCode(() => engine.apply(planned.change ?? ''), 'stale_sequence');
  // A replica applies the stored journal (as JSON strings) and matches.
  for (const entry of journal) replica.apply(entry.json);
  assert.strictEqual(replica.snapshot(), engine.snapshot());
  assert.deepStrictEqual(engine.changesSince(seq), [planned.change]);
  // execute runs an operation at once; a read plans no change.
  engine.execute({ op: 'upsert_patient', patient: { id: 'pat-x' } }, NOW);
  assert.strictEqual(engine.patient('pat-x').id, 'pat-x');
  assert.strictEqual(engine.planOperation({ op: 'drain_outbox' }, NOW).change !== undefined, true);
  assert.ok(engine.compactJournal(engine.lastSeq()) >= 1);
  assert.deepStrictEqual(engine.changesSince(engine.lastSeq()), []);
});

test('async variants run off the main thread, concurrently, with typed errors', async () => {
  const engine = sample();
  const sync = engine.search(WEEK, NOW);
  const searches = await Promise.all(Array.from({ length: 8 }, () => engine.searchAsync(WEEK, NOW)));
  for (const s of searches) assert.deepStrictEqual(s, sync);
  const accounts = await Promise.all(
    ['pat-ana', 'pat-chloe', 'pat-dev'].map((p, i) =>
      engine.createAccountAsync({ id: `acct-${i}`, username: `user${i}@example.test`, password: `password number ${i}`, patient: p }, NOW),
    ),
  );
  assert.deepStrictEqual(accounts.map((a) => a.id), ['acct-0', 'acct-1', 'acct-2']);
  const logins = await Promise.allSettled([
    engine.loginAsync('user0@example.test', 'password number 0', NOW),
    engine.loginAsync('user1@example.test', 'wrong', NOW),
    engine.changePasswordAsync('acct-2', 'password number 2', 'a brand new password', NOW),
  ]);
  assert.strictEqual(logins[0].status, 'fulfilled');
  assert.strictEqual(logins[1].status, 'rejected');
  const reason = /** @type {PromiseRejectedResult} */ (logins[1]).reason;
  assert.ok(reason instanceof ClinicPortalError && reason.code === 'credentials_invalid');
  assert.strictEqual(logins[2].status, 'fulfilled');
  const snapshot = await engine.snapshotAsync();
  assert.strictEqual(snapshot, engine.snapshot());
  const restored = await Engine.restoreAsync(snapshot);
  assert.strictEqual(restored.snapshot(), snapshot);
  await assert.rejects(Engine.restoreAsync('{"not": "a snapshot"}'), (/** @type {unknown} */ e) => e instanceof ClinicPortalError && ERROR_CODES.includes(e.code));
  await assert.rejects(engine.searchAsync({ ...WEEK, service: 'nope' }, NOW), (/** @type {unknown} */ e) => e instanceof ClinicPortalError && e.code === 'not_found');
  const invite = engine.invite({ patient: 'pat-ben', relationship: 'self' }, NOW);
  const acct = await engine.acceptInvitationAsync({ token: invite.token, password: 'a long password' }, NOW);
  engine.requestPasswordReset(acct.username, NOW);
  const token = engine.drainOutbox().find((n) => n.kind === 'password_reset')?.token;
  assert.ok(token);
  assert.strictEqual((await engine.resetPasswordAsync(token, 'yet another password', NOW)).id, acct.id);
  const signup = engine.signupAsync({ email: 'new@example.test', password: 'a long password', first_name: 'N', last_name: 'P' }, NOW);
  await signup.then(
    (o) => assert.strictEqual(o.account.username, 'new@example.test'),
    (e) => assert.ok(e instanceof ClinicPortalError && ['signup_disabled', 'invalid_input'].includes(e.code), String(e)),
  );
  const executed = await engine.executeAsync({ op: 'upsert_patient', patient: { id: 'pat-async' } }, NOW);
  assert.strictEqual(executed, null);
});

test('require and import give the same package', async () => {
  const esm = await import('clinic-portal');
  const cjs = require('clinic-portal');
  assert.strictEqual(esm.Engine, cjs.Engine);
  assert.strictEqual(esm.default.Engine, cjs.Engine);
  assert.strictEqual(esm.ClinicPortalError, cjs.ClinicPortalError);
  assert.strictEqual(typeof cjs.version, 'string');
});
