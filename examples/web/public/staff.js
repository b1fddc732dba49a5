// The staff page: the queue of pending portal requests, accept or decline each with a note.
'use strict';

const $ = (id) => document.getElementById(id);
const status = $('status');
let practice = null;

function zoneOf(clinicId) {
  const c = practice.clinics.find((x) => x.id === clinicId);
  return c ? c.time_zone : 'UTC';
}
function nameIn(list, id) {
  const x = list.find((e) => e.id === id);
  return x ? x.name : id || '';
}

async function showQueue() {
  practice = practice || (await api('GET', '/api/practice'));
  $('login-section').hidden = true;
  $('queue-section').hidden = false;
  const { pending } = await api('GET', '/api/staff/pending');
  const body = $('pending');
  clear(body);
  if (pending.length === 0) body.append(h('tr', {}, h('td', { colspan: '6', text: 'Nothing is waiting.' })));
  for (const item of pending) {
    const a = item.appointment;
    const tz = zoneOf(a.clinic);
    const when = `${formatInZone(a.start, tz, true)} (${tz})`;
    const noteId = `note-${a.id}`;
    const decide = h('div', {},
      h('label', { for: noteId, text: `Note to the patient about ${a.id}` }),
      h('input', { id: noteId, type: 'text', maxlength: '2000' }),
      h('div', {},
        h('button', { type: 'button', 'data-action': 'accept', onclick: () => decideOn(a.id, 'accept'), text: 'Accept' }),
        h('button', { type: 'button', class: 'secondary', 'data-action': 'decline', onclick: () => decideOn(a.id, 'decline'), text: 'Decline' })));
    body.append(h('tr', { 'data-appointment': a.id },
      h('td', { text: when }), h('td', { text: item.patient_name ? `${item.patient_name} (${a.patient})` : a.patient || '' }), h('td', { text: nameIn(practice.services, a.service) }),
      h('td', { text: nameIn(practice.practitioners, a.practitioner) }),
      h('td', { text: item.age_minutes === null ? '' : `${item.age_minutes} min` }), h('td', {}, decide)));
  }
}

async function decideOn(id, decision) {
  const note = $(`note-${id}`).value;
  try {
    await api('POST', `/api/staff/appointments/${encodeURIComponent(id)}/${decision}`, note ? { note } : {});
    say(status, 'ok', `${id} ${decision === 'accept' ? 'accepted' : 'declined'}.`);
    await showQueue();
    $('queue-heading').focus();
  } catch (e) {
    say(status, 'error', explainError(e));
  }
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await api('POST', '/api/staff/login', { username: $('username').value, password: $('password').value });
    say(status, 'ok', 'Logged in.');
    await showQueue();
  } catch (e) {
    say(status, 'error', explainError(e));
  }
});
$('refresh').addEventListener('click', () => showQueue().catch((e) => say(status, 'error', explainError(e))));
$('logout').addEventListener('click', async () => {
  await api('POST', '/api/logout');
  location.reload();
});
startPage('staff', showQueue);
