// @ts-check
// clinic-portal from Node: load the sample practice (examples/data), list the times a
// service is offered online, book one as a guardian for her son, print the outbox.
// Run: node examples/node/booking.mjs (after building bindings-node, see docs/node.md).
import { readFileSync } from 'node:fs';
import { Engine, ClinicPortalError } from 'clinic-portal';

const data = (/** @type {string} */ name) => readFileSync(new URL(`../data/${name}`, import.meta.url), 'utf8');

const engine = new Engine(data('sample-practice.json'));
/** @type {{patients: import('clinic-portal').Patient[], appointments: import('clinic-portal').Appointment[]}} */
const sample = JSON.parse(data('sample-data.json'));
for (const patient of sample.patients) engine.upsertPatient(patient);
engine.addAppointments(sample.appointments);

const now = new Date('2027-03-08T14:00:00Z');
const query = { service: 'physio-followup-30', from: '2027-03-09', to: '2027-03-10', practitioner: 'christine' };
const { slots } = engine.search(query, now);
console.log(`${slots.length} times with Christine, ${query.from} to ${query.to}:`);
for (const slot of slots.slice(0, 6)) console.log(`  ${slot.start} at ${slot.clinic}`);

// Ana has a portal account and is her son Ben's guardian.
const ana = engine.createAccount(
  { id: 'acct-ana', username: 'ana.souza@example.com', password: 'correct horse battery', patient: 'pat-ana' },
  now,
);
engine.linkAccount(ana.id, 'pat-ben', 'guardian', now);
console.log(`account ${ana.username} acts for: ${engine.patientsOfAccount(ana.id).join(', ')}`);

const slot = slots[slots.length - 1];
try {
  const booking = engine.book(
    { patient: 'pat-ben', service: query.service, practitioner: 'christine', start: slot.start, actor: ana.id, consent_given: true },
    now,
  );
  console.log(`booked ${booking.appointment.id} for ${booking.appointment.patient} at ${slot.start}: ${booking.appointment.status}`);
} catch (e) {
  if (!(e instanceof ClinicPortalError)) throw e;
  console.log(`refused (${e.code}): ${e.message}`);
  process.exitCode = 1;
}

console.log('outbox:');
for (const n of engine.drainOutbox()) console.log(`  #${n.id} ${n.kind} to ${n.recipients.join(', ')}`);
