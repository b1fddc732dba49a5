// @ts-check
// Shared by the API and error tests: the sample practice of examples/data, loaded.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { Engine } = require('clinic-portal');

const DATA = path.join(__dirname, '..', '..', 'examples', 'data');
const PRACTICE = fs.readFileSync(path.join(DATA, 'sample-practice.json'), 'utf8');
/** @type {{patients: import('clinic-portal').Patient[], appointments: import('clinic-portal').Appointment[]}} */
const SAMPLE = JSON.parse(fs.readFileSync(path.join(DATA, 'sample-data.json'), 'utf8'));
const NOW = '2027-03-08T14:00:00Z';
const SERVICE = 'physio-followup-30';
const WEEK = { service: SERVICE, from: '2027-03-09', to: '2027-03-15', practitioner: 'christine' };

/** The sample practice with its patients and appointments. */
function sample() {
  const engine = new Engine(PRACTICE);
  for (const p of SAMPLE.patients) engine.upsertPatient(p);
  engine.addAppointments(SAMPLE.appointments);
  return engine;
}

module.exports = { PRACTICE, SAMPLE, NOW, SERVICE, WEEK, sample };
