// Shared by the patient and staff pages: JSON calls to the API and message display.
'use strict';

/** Calls the API; resolves with the JSON body, rejects with {status, code, message}. */
async function api(method, path, body) {
  const init = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data = res.status === 204 ? null : await res.json();
  if (!res.ok) throw { status: res.status, code: data.code, message: data.message };
  return data;
}

/** Shows a message in a live region: kind is "ok" or "error". */
function say(region, kind, text) {
  region.className = `message ${kind}`;
  region.textContent = text;
}

/** The text of an API error for a person. */
function explainError(e) {
  if (e && e.code) return `${e.message} (${e.code})`;
  return String(e);
}

/** Formats an instant in a clinic's time zone, with the zone's short name. */
function formatInZone(instant, timeZone, withDate) {
  const opts = { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };
  if (withDate) Object.assign(opts, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
  return new Intl.DateTimeFormat('en-CA', opts).format(new Date(instant));
}

/**
 * The wall time and UTC offset of a slot start as the engine gives it
 * ("2027-03-09T09:30:00-05:00" → "09:30 (UTC−05:00)"): the engine's own zone rules, even
 * where the browser's time-zone data differs.
 */
function slotTime(start) {
  const m = /T(\d{2}:\d{2}):\d{2}(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(start);
  if (!m) return start;
  const offset = m[2] === 'Z' ? '+00:00' : m[2];
  return `${m[1]} (UTC${offset.replace('-', '\u2212')})`;
}

/** Removes every child of an element. */
function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Creates an element with attributes and children (strings become text). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) el.append(c);
  return el;
}

/**
 * Starts a page: with a session of `role`, calls `show(me)`; otherwise shows the login
 * form (`#login-section`) and focuses its first field.
 */
async function startPage(role, show) {
  try {
    const me = await api('GET', '/api/me');
    if (me.role !== role) throw { status: 403, code: 'not_authorized', message: `log in as ${role}` };
    await show(me);
  } catch (e) {
    if (e.status !== 401) say(document.getElementById('status'), 'error', explainError(e));
    document.getElementById('login-section').hidden = false;
    document.getElementById('username').focus();
  }
}
