import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { statusView } from '../src/logic/statusText';

test('progress with a next step', () => {
  const v = statusView({ done: 41, total: 120, nextStep: { number: 5, title: 'Parse the checklist' } });
  assert.equal(v.text, '✓ 41/120 · Step 5');
  assert.match(v.tooltip, /41 of 120 todo items done/);
  assert.match(v.tooltip, /Next: Step 5 — Parse the checklist/);
  assert.equal(v.hasNext, true);
});

test('all done', () => {
  const v = statusView({ done: 3, total: 3, nextStep: null });
  assert.equal(v.text, '✓ 3/3 · all done');
  assert.equal(v.hasNext, false);
});

test('no items yet', () => {
  const v = statusView({ done: 0, total: 0, nextStep: null });
  assert.equal(v.text, '✓ 0/0');
  assert.equal(v.tooltip, 'Plan: no todo items yet.');
});

test('spinner while generations run', () => {
  const v = statusView({ done: 1, total: 2, nextStep: { number: '2', title: '' } }, 2);
  assert.equal(v.text, '$(sync~spin) ✓ 1/2 · Step 2');
  assert.match(v.tooltip, /A generation is running/);
  assert.doesNotMatch(v.tooltip, /—/);
});

test('before the first notification', () => {
  const v = statusView(undefined);
  assert.equal(v.text, '✓ …');
  assert.equal(v.hasNext, false);
});

test('garbage numbers are clamped', () => {
  const v = statusView({ done: -1, total: 2.7, nextStep: null });
  assert.equal(v.text, '✓ 0/2');
});
