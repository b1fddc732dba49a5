// @ts-check
// A real browser (Debian's Chromium, headless, driven by playwright-core): a guardian books
// for her son, staff accept the request, and the guardian's late cancel is refused with the
// reason. Screenshots go to artifacts/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { ARTIFACTS, STAFF, freshDatabase, startServer, stopServer } from './helpers.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** @type {any} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;

before(async () => {
  server = await startServer({ databaseUrl: await freshDatabase('browser') });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  if (server) await stopServer(server);
});

const shot = (/** @type {import('playwright-core').Page} */ page, /** @type {string} */ name) =>
  page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });

test('a guardian books for her child, staff accept, a late cancel is refused', { timeout: 90000 }, async () => {
  const guardian = await (await browser.newContext({ timezoneId: 'Europe/Paris' })).newPage();
  await guardian.goto(`${server.url}/`);
  // Labelled controls, and the keyboard: type, Tab, Enter.
  await guardian.getByLabel('E-mail').fill('ana.souza@example.com');
  await guardian.keyboard.press('Tab');
  await guardian.keyboard.type('correct horse battery');
  await guardian.keyboard.press('Enter');
  await guardian.getByRole('heading', { name: 'Find a time' }).waitFor();
  await shot(guardian, '01-logged-in');

  await guardian.getByLabel('Booking for').selectOption('pat-ben');
  await guardian.getByLabel('Service').selectOption('physio-followup-30');
  await guardian.getByLabel('Practitioner').selectOption('christine');
  await guardian.getByLabel('Day').fill('2027-03-09');
  await guardian.getByRole('button', { name: 'Show times' }).click();
  // The browser is in Paris; the times are the Toronto clinic's, and say so.
  await guardian.getByText("Times are shown in the clinic's time zone: America/Toronto.").waitFor();
  const first = guardian.getByRole('radio').first();
  const firstLabel = await guardian.locator('label[for=slot-0]').textContent();
  assert.equal(firstLabel, '09:30 (UTC\u221205:00) at Riverside Physio — Toronto');
  await first.focus();
  await guardian.keyboard.press('Space');
  await shot(guardian, '02-times');
  await guardian.getByRole('button', { name: 'Hold this time' }).click();
  await guardian.getByRole('heading', { name: 'Confirm your booking' }).waitFor();

  // Booking without consent is refused, with the reason.
  await guardian.getByRole('button', { name: 'Book', exact: true }).click();
  await guardian.getByRole('status').getByText('consent_required').waitFor();
  await guardian.getByLabel('I agree to the consent above').check();
  await guardian.getByLabel('Note for the clinic (optional)').fill('Ben hurt his knee at football.');
  await shot(guardian, '03-consent');
  await guardian.getByRole('button', { name: 'Book', exact: true }).click();
  await guardian.getByRole('status').getByText('Appointment requested').waitFor();
  const row = guardian.locator('#appointments tr', { hasText: 'Ben Souza' });
  await row.getByText('pending').waitFor();
  await shot(guardian, '04-pending');

  const staff = await (await browser.newContext()).newPage();
  await staff.goto(`${server.url}/staff`);
  await staff.getByLabel('Staff user').fill(STAFF.username);
  await staff.getByLabel('Password').fill(STAFF.password);
  await staff.getByRole('button', { name: 'Log in' }).click();
  const request = staff.locator('#pending tr', { hasText: 'Ben Souza (pat-ben)' });
  await request.waitFor();
  await shot(staff, '05-staff-queue');
  await request.getByRole('textbox').fill('See you Tuesday, bring shorts.');
  await request.getByRole('button', { name: 'Accept' }).click();
  await staff.getByRole('status').getByText('accepted').waitFor();
  assert.equal(await staff.locator('#pending tr', { hasText: 'pat-ben' }).count(), 0);
  await shot(staff, '06-staff-accepted');

  await guardian.reload();
  const bookedRow = guardian.locator('#appointments tr', { hasText: 'Ben Souza' });
  await bookedRow.getByText('booked').waitFor();
  // 09:30 tomorrow is less than 24 hours away: the portal refuses the cancel and says why.
  await bookedRow.getByRole('button', { name: /^Cancel / }).click();
  const refusal = guardian.getByRole('status');
  await refusal.getByText('can no longer be cancelled online').waitFor();
  assert.match((await refusal.textContent()) ?? "", /closes 24 hour\(s\) before/);
  await bookedRow.getByText('booked').waitFor();
  await shot(guardian, '07-late-cancel-refused');
});
