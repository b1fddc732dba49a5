// The patient booking page: log in, pick who, what, with whom and which day; hold a time,
// consent, book; list and cancel appointments. Times are shown in the clinic's zone.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { practice: null, me: null, slots: [], hold: null };
const status = $('status');

function clinicOf(id) {
  return state.practice.clinics.find((c) => c.id === id) || { id, name: id, time_zone: 'UTC' };
}
function serviceName(id) {
  const s = state.practice.services.find((x) => x.id === id);
  return s ? s.name : id || '';
}
function patientName(id) {
  const p = state.me.patients.find((x) => x.id === id);
  return p ? [p.first_name, p.last_name].filter(Boolean).join(' ') || p.id : id;
}

async function showBooking() {
  state.practice = await api('GET', '/api/practice');
  $('login-section').hidden = true;
  $('booking-section').hidden = false;
  $('who').textContent = state.me.username;
  const patient = $('patient');
  clear(patient);
  for (const p of state.me.patients) {
    const label = `${patientName(p.id)}${p.relationship === 'self' ? ' (you)' : ` (${p.relationship})`}`;
    patient.append(h('option', { value: p.id, text: label }));
  }
  const service = $('service');
  clear(service);
  for (const s of state.practice.services) service.append(h('option', { value: s.id, text: s.name }));
  const practitioner = $('practitioner');
  clear(practitioner);
  practitioner.append(h('option', { value: '', text: 'No preference' }));
  for (const p of state.practice.practitioners) practitioner.append(h('option', { value: p.id, text: p.name }));
  const today = state.practice.now.slice(0, 10);
  $('day').value = $('day').value || today;
  $('consent-text').textContent = state.practice.consent ? state.practice.consent.text : '';
  await loadAppointments();
  patient.focus();
}

async function search(event) {
  event.preventDefault();
  const query = new URLSearchParams({ patient: $('patient').value, service: $('service').value, from: $('day').value, to: $('day').value });
  if ($('practitioner').value) query.set('practitioner', $('practitioner').value);
  try {
    const result = await api('GET', `/api/slots?${query}`);
    state.slots = result.slots;
    renderSlots();
  } catch (e) {
    say(status, 'error', explainError(e));
  }
}

function renderSlots() {
  const list = $('slots');
  clear(list);
  $('slots-fieldset').hidden = false;
  const zones = [...new Set(state.slots.map((s) => clinicOf(s.clinic).time_zone))];
  $('zone-note').textContent = zones.length
    ? `Times are shown in the clinic's time zone: ${zones.join(', ')}.`
    : 'No times are offered online on this day. Try another day or practitioner.';
  state.slots.forEach((slot, i) => {
    const clinic = clinicOf(slot.clinic);
    const text = `${slotTime(slot.start)} at ${clinic.name}`;
    list.append(h('li', { class: 'choice' },
      h('input', { type: 'radio', name: 'slot', id: `slot-${i}`, value: String(i) }),
      h('label', { for: `slot-${i}`, text })));
  });
  $('hold-button').hidden = state.slots.length === 0;
  say(status, 'ok', `${state.slots.length} times found.`);
}

async function holdSelected() {
  const chosen = document.querySelector('input[name=slot]:checked');
  if (!chosen) {
    say(status, 'error', 'Choose a time first.');
    return;
  }
  const slot = state.slots[Number(chosen.value)];
  const body = { patient: $('patient').value, service: $('service').value, start: slot.start, clinic: slot.clinic };
  if ($('practitioner').value) body.practitioner = $('practitioner').value;
  try {
    state.hold = await api('POST', '/api/holds', body);
    $('hold-summary').textContent =
      `${serviceName(body.service)} for ${patientName(body.patient)}, ${slot.start.slice(0, 10)} ${slotTime(slot.start)}` +
      ` at ${clinicOf(slot.clinic).name}. This time is held for you for a few minutes.`;
    $('confirm-form').hidden = false;
    $('slots-fieldset').hidden = true;
    $('consent').checked = false;
    $('consent').focus();
    say(status, 'ok', 'Time held. Read the consent, then book.');
  } catch (e) {
    say(status, 'error', explainError(e));
  }
}

async function book(event) {
  event.preventDefault();
  const body = { patient: $('patient').value, hold: state.hold.id, consent_given: $('consent').checked };
  if ($('notes').value) body.notes = $('notes').value;
  try {
    const booking = await api('POST', '/api/bookings', body);
    state.hold = null;
    $('confirm-form').hidden = true;
    const word = booking.appointment.status === 'pending' ? 'requested: the clinic will confirm it' : 'booked';
    say(status, 'ok', `Appointment ${word}.`);
    await loadAppointments();
    $('appointments-heading').focus();
  } catch (e) {
    say(status, 'error', explainError(e));
  }
}

async function release() {
  if (state.hold) await api('DELETE', `/api/holds/${encodeURIComponent(state.hold.id)}`).catch(() => undefined);
  state.hold = null;
  $('confirm-form').hidden = true;
  $('slots-fieldset').hidden = false;
}

async function loadAppointments() {
  const { appointments } = await api('GET', '/api/appointments');
  const body = $('appointments');
  clear(body);
  const shown = appointments.filter((a) => a.status === 'pending' || a.status === 'booked');
  if (shown.length === 0) body.append(h('tr', {}, h('td', { colspan: '5', text: 'No upcoming appointments.' })));
  for (const a of shown) {
    const clinic = clinicOf(a.clinic);
    const when = `${formatInZone(a.start, clinic.time_zone, true)} (${clinic.time_zone})`;
    const cancel = h('button', { type: 'button', class: 'secondary', 'data-appointment': a.id,
      'aria-label': `Cancel ${serviceName(a.service)} on ${when}`, onclick: () => cancelAppointment(a.id), text: 'Cancel' });
    body.append(h('tr', { 'data-appointment': a.id },
      h('td', { text: when }), h('td', { text: patientName(a.patient) }), h('td', { text: serviceName(a.service) }),
      h('td', { class: 'appointment-status', text: a.status }), h('td', {}, cancel)));
  }
}

async function cancelAppointment(id) {
  try {
    const outcome = await api('POST', `/api/appointments/${encodeURIComponent(id)}/cancel`, {});
    say(status, 'ok', outcome.late_cancel_fee ? 'Cancelled. A late-cancellation fee applies.' : 'Cancelled.');
    await loadAppointments();
  } catch (e) {
    const why = e.code === 'cancel_window_closed'
      ? `This appointment can no longer be cancelled online: ${e.message}. Please call the clinic.`
      : explainError(e);
    say(status, 'error', why);
  }
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await api('POST', '/api/login', { username: $('username').value, password: $('password').value });
    state.me = await api('GET', '/api/me');
    say(status, 'ok', 'Logged in.');
    await showBooking();
  } catch (e) {
    say(status, 'error', explainError(e));
  }
});
$('logout').addEventListener('click', async () => {
  await api('POST', '/api/logout');
  location.reload();
});
$('search-form').addEventListener('submit', search);
$('hold-button').addEventListener('click', holdSelected);
$('confirm-form').addEventListener('submit', book);
$('release-button').addEventListener('click', release);
$('appointments-heading').setAttribute('tabindex', '-1');
startPage('patient', async (me) => {
  state.me = me;
  await showBooking();
});
