import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { planOfDocument, statusSummary, statusView, statusViewFor } from '../src/logic/statusText';

test('progress with a next step', () => {
  const v = statusView({ done: 41, total: 120, nextStep: { number: 5, title: 'Parse the checklist' } });
  assert.equal(v.text, '✓ 41/120 · Step 5');
  assert.match(v.tooltip, /41 of 120 todo items done/);
  assert.match(v.tooltip, /Next: Step 5 — Parse the checklist/);
  assert.equal(v.hasNext, true);
});

test('a plan repository without the merge driver is mentioned', () => {
  const base = { done: 1, total: 2, nextStep: null };
  assert.match(statusView({ ...base, mergeDriver: 'config' }).tooltip, /plan-ls init --git/);
  assert.match(statusView({ ...base, mergeDriver: 'attributes' }).tooltip, /merge driver/);
  assert.doesNotMatch(statusView({ ...base, mergeDriver: 'ok' }).tooltip, /merge driver/);
  assert.doesNotMatch(statusView({ ...base, mergeDriver: null }).tooltip, /merge driver/);
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

const step = (n: number, total: number, done: number) => ({ number: n, title: `S${n}`, line: n * 4, todo_total: total, todo_done: done });

test('status summary of a readable plan', () => {
  const parts = statusSummary({
    todo: { path: '/p/todo.md', total: 5, done: 2 },
    plan: { path: '/p/prompt_plan.md', steps: [step(1, 2, 2), step(2, 3, 0)] },
    diagnostics: [],
    unreadable: [],
  });
  assert.deepEqual(parts, ['2/5 todo items done', '1/2 steps done', 'no drift']);
});

test('status summary names an unreadable checklist and does not claim "no drift"', () => {
  const parts = statusSummary({
    todo: { path: null, total: 0, done: 0, items: [] },
    plan: { path: '/p/my plan [wip]/prompt_plan.md', steps: [step(1, 0, 0)] },
    diagnostics: [],
    unreadable: [{ path: '/p/my plan [wip]/todo.md', reason: '/p/my plan [wip]/todo.md: looks like a binary file (NUL bytes), not markdown' }],
  });
  assert.deepEqual(parts, [
    'cannot read todo.md: looks like a binary file (NUL bytes), not markdown',
    '0/1 steps done',
    'drift unknown',
  ]);
});

test('status summary from a server that sends no unreadable list', () => {
  const parts = statusSummary({ todo: { path: null }, plan: { path: null, steps: [] }, diagnostics: [{ path: 'x', line: 1, severity: 'warning', message: 'm' }] });
  assert.deepEqual(parts, ['no todo file', '0/0 steps done', '1 drift warning (see Problems)']);
});

const twoPlans = {
  done: 1,
  total: 3,
  nextStep: { number: '1', title: 'Notebook folder' },
  files: ['file:///w/todo.md', 'file:///w/prompt_plan.md'],
  plans: [
    { id: '.', format: 'prompt_plan', name: '', done: 1, total: 3, nextStep: { number: '1', title: 'Notebook folder' },
      files: ['file:///w/todo.md', 'file:///w/prompt_plan.md'] },
    { id: 'specs/001-tag notes', format: 'spec-kit', name: '001-tag notes', done: 2, total: 4, nextStep: null,
      files: ['file:///w/specs/001-tag%20notes/tasks.md'] },
  ],
};

test('the status bar follows the plan of the active editor', () => {
  // the editor spells the URI its own way: compared decoded
  const v = statusViewFor(twoPlans, 'file:///w/specs/001-tag notes/tasks.md');
  assert.equal(v.text, '001-tag notes ✓ 2/4');
  assert.match(v.tooltip, /spec-kit/);
  assert.equal(v.hasNext, false);
  assert.equal(statusViewFor(twoPlans, 'file:///w/todo.md').text, '✓ 1/3 · Step 1');
  assert.equal(statusViewFor(twoPlans, 'file:///w/README.md').text, '✓ 1/3 · Step 1');
  assert.equal(statusViewFor(twoPlans, undefined).text, '✓ 1/3 · Step 1');
});

test('the plan of a document', () => {
  assert.equal(planOfDocument(twoPlans, 'file:///w/specs/001-tag%20notes/tasks.md')?.id, 'specs/001-tag notes');
  assert.equal(planOfDocument(twoPlans, 'file:///w/spec.md'), undefined);
  assert.equal(planOfDocument({ done: 0, total: 0, nextStep: null }, 'file:///w/todo.md'), undefined);
});
