// @ts-check
// The sample practice of examples/data (Riverside Physio) as the first state of a new
// database: its configuration, patients and appointments, and two demo portal accounts.
import { readFileSync } from 'node:fs';
import { Engine } from 'clinic-portal';

/** The practice id the example serves. */
export const SAMPLE_PRACTICE = 'riverside';

/** The demo accounts (printed by scripts/web.sh; a real host has its own users). */
export const DEMO_ACCOUNTS = [
  // Ana is her own patient and her son Ben's guardian.
  { id: 'acct-ana', username: 'ana.souza@example.com', password: 'correct horse battery', patient: 'pat-ana', dependants: ['pat-ben'] },
  { id: 'acct-chloe', username: 'chloe.m@example.com', password: 'chloe demo password', patient: 'pat-chloe', dependants: [] },
];

/** @param {string} name */
const data = (name) => readFileSync(new URL(`../../data/${name}`, import.meta.url), 'utf8');

/**
 * The configuration of the sample practice as JSON.
 * @returns {string}
 */
export function sampleConfig() {
  return data('sample-practice.json');
}

/**
 * A new engine holding the sample practice, its data and the demo accounts.
 * @param {Date} now
 * @returns {Promise<Engine>}
 */
export async function seedSample(now) {
  const engine = new Engine(sampleConfig());
  /** @type {{patients: import('clinic-portal').Patient[], appointments: import('clinic-portal').Appointment[]}} */
  const sample = JSON.parse(data('sample-data.json'));
  for (const patient of sample.patients) engine.upsertPatient(patient);
  engine.addAppointments(sample.appointments);
  for (const a of DEMO_ACCOUNTS) {
    await engine.createAccountAsync({ id: a.id, username: a.username, password: a.password, patient: a.patient }, now);
    for (const dependant of a.dependants) engine.linkAccount(a.id, dependant, 'guardian', now);
  }
  return engine;
}
