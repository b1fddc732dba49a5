// @ts-check
// Parity: every public method of the Rust `Engine` (core/tests/public_operations.txt) is a
// method of the Node `Engine` in camelCase, declared in lib/index.d.ts, unless the list
// marks it "Rust only"; and the async variants exist.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { Engine } = require('clinic-portal');

const LIST = path.join(__dirname, '..', '..', 'core', 'tests', 'public_operations.txt');
const DTS = fs.readFileSync(path.join(__dirname, '..', 'lib', 'index.d.ts'), 'utf8');
const STATIC = new Set(['new', 'fromJson', 'validate', 'validateJson', 'restore']);
const ASYNC = ['searchAsync', 'snapshotAsync', 'loginAsync', 'createAccountAsync', 'changePasswordAsync',
  'acceptInvitationAsync', 'resetPasswordAsync', 'signupAsync', 'executeAsync'];

/** @param {string} snake */
const camel = (snake) => snake.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

function operations() {
  return fs
    .readFileSync(LIST, 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .filter((line) => !/rust only/i.test(line))
    .map((line) => line.split('#')[0].trim());
}

test('the list is read', () => {
  assert.ok(operations().length >= 80, `only ${operations().length} operations listed`);
});

test('every public engine operation is exposed in camelCase and declared', () => {
  const missing = [];
  for (const op of operations()) {
    const name = camel(op);
    const target = STATIC.has(name) ? Engine : Engine.prototype;
    const declared = new RegExp(`^\\s*${STATIC.has(name) ? 'static ' : ''}${name}\\(`, 'm').test(DTS);
    if (typeof /** @type {any} */ (target)[name] !== 'function' || !declared) missing.push(`${op} (${name})`);
  }
  assert.deepStrictEqual(missing, []);
});

test('the async variants exist and are declared as Promises', () => {
  for (const name of ASYNC) {
    assert.strictEqual(typeof /** @type {any} */ (Engine.prototype)[name], 'function', name);
    assert.match(DTS, new RegExp(`^\\s*${name}\\([^\\n]*\\): Promise<`, 'm'), name);
  }
  assert.strictEqual(typeof Engine.restoreAsync, 'function');
});

test('the public types use no any or unknown', () => {
  const types = fs.readFileSync(path.join(__dirname, '..', 'lib', 'types.d.ts'), 'utf8');
  for (const [file, text] of [['index.d.ts', DTS], ['types.d.ts', types]]) {
    const code = text.replace(/\/\*\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    assert.doesNotMatch(code, /\b(any|unknown)\b/, file);
  }
});
