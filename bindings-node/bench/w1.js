// @ts-check
// W1 through Node (benches/README.md): the W1a and W1b searches with every slot turned
// into JS objects, as `engine.search` returns them. Writes the W1 data first with
//   cargo run -p clinic-portal-benches --example w1_json > target/w1.json
// then, with a release build of the addon (docs/node.md):
//   node bindings-node/bench/w1.js target/w1.json
'use strict';

const fs = require('node:fs');
const { Engine } = require('clinic-portal');

const file = process.argv[2] ?? 'target/w1.json';
const w1 = JSON.parse(fs.readFileSync(file, 'utf8'));
const engine = new Engine(w1.config);
engine.addAppointments(w1.appointments);

/** @param {string} name @param {import('clinic-portal').SlotQuery} query @param {number} expected @param {(s: import('clinic-portal').Slots) => number} count */
function measure(name, query, expected, count) {
  const got = count(engine.search(query, w1.now));
  if (got !== expected) throw new Error(`${name}: expected ${expected}, got ${got}`);
  // Warm up, then time batches; report the median and the best batch's mean per call.
  for (let i = 0; i < 50; i++) engine.search(query, w1.now);
  const batches = [];
  const perBatch = 20;
  for (let b = 0; b < 50; b++) {
    const t0 = process.hrtime.bigint();
    let sink = 0;
    for (let i = 0; i < perBatch; i++) sink += engine.search(query, w1.now).slots.length;
    const t1 = process.hrtime.bigint();
    if (sink !== perBatch * expected && count === slotsCount) throw new Error('lost slots');
    batches.push(Number(t1 - t0) / perBatch / 1e6);
  }
  // The native call alone (the columnar answer, before the slot objects are built).
  const native = /** @type {any} */ (engine)._n;
  const q = JSON.stringify(query);
  const columns = [];
  for (let b = 0; b < 50; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) native.search(q, w1.now);
    columns.push(Number(process.hrtime.bigint() - t0) / perBatch / 1e6);
  }
  /** @param {number[]} xs */
  const stats = (xs) => {
    xs.sort((a, b) => a - b);
    return `median ${xs[Math.floor(xs.length / 2)].toFixed(3)} ms, best ${xs[0].toFixed(3)} ms`;
  };
  console.log(`${name}: ${got} ${count === slotsCount ? 'slots' : 'starts'}; search with JS objects: ${stats(batches)}; native columns only: ${stats(columns)} (per search, 50 batches of ${perBatch})`);
}

/** @param {import('clinic-portal').Slots} s */
function slotsCount(s) {
  return s.slots.length;
}

/** @param {import('clinic-portal').Slots} s */
function startsCount(s) {
  return new Set(s.slots.map((x) => x.start_unix)).size;
}

measure('W1a', w1.w1a, w1.expect.w1a_slots, slotsCount);
measure('W1b', w1.w1b, w1.expect.w1b_starts, startsCount);
