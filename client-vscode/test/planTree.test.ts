import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { buildPlanTree, claimOf, GroupNode, planNodes, stepAtLine, StepNode } from '../src/logic/planTree';
import type { PlanStatus } from '../src/logic/types';

const status: PlanStatus = {
  todo: {
    path: '/w/todo.md',
    total: 5,
    done: 2,
    items: [
      { line: 3, text: 'Set up the project', done: true, step: '1' },
      { line: 4, text: 'Add CI', done: true, step: '1' },
      { line: 7, text: 'Parse items (@ana)', done: false, step: '2' },
      { line: 8, text: 'Edit items', done: false, step: '2' },
      { line: 11, text: 'Something unplanned', done: false, step: null },
    ],
  },
  plan: {
    path: '/w/prompt_plan.md',
    steps: [
      { number: '1', title: 'Skeleton', line: 5, todo_total: 2, todo_done: 2 },
      { number: 2, title: 'Parser', line: 20, todo_total: 2, todo_done: 0 },
      { number: '3', title: 'Wiring', line: 40, todo_total: 0, todo_done: 0 },
    ],
  },
  diagnostics: [],
};

test('steps with progress and their items', () => {
  const nodes = buildPlanTree(status);
  assert.equal(nodes.length, 4);
  const [s1, s2, s3, group] = nodes as [StepNode, StepNode, StepNode, GroupNode];
  assert.equal(s1.label, 'Step 1: Skeleton');
  assert.equal(s1.description, '2/2');
  assert.equal(s1.state, 'done');
  assert.equal(s1.line, 5);
  assert.equal(s1.path, '/w/prompt_plan.md');
  assert.deepEqual(s1.children.map((c) => c.line), [3, 4]);
  assert.equal(s2.number, '2');
  assert.equal(s2.state, 'open');
  assert.equal(s2.children[0].claimedBy, 'ana');
  assert.equal(s2.children[0].label, 'Parse items');
  assert.equal(s2.children[0].path, '/w/todo.md');
  assert.equal(s3.state, 'empty');
  assert.equal(s3.description, 'no todo items');
  assert.equal(group.label, 'Not linked to a step');
  assert.equal(group.description, '0/1');
  assert.equal(group.children[0].label, 'Something unplanned');
});

test('partial step', () => {
  const s = structuredClone(status);
  s.todo!.items![2].done = true;
  s.plan!.steps![1].todo_done = 1;
  const step = buildPlanTree(s)[1] as StepNode;
  assert.equal(step.state, 'partial');
  assert.equal(step.description, '1/2');
});

test('items naming a step that does not exist are not lost', () => {
  const s: PlanStatus = {
    todo: { path: 't', items: [{ line: 1, text: 'x', done: false, step: '9' }] },
    plan: { path: 'p', steps: [{ number: '1', title: 'A', line: 1, todo_total: 0, todo_done: 0 }] },
  };
  const nodes = buildPlanTree(s);
  assert.equal(nodes.length, 2);
  assert.equal((nodes[1] as GroupNode).children[0].step, '9');
});

test('only a checklist, no plan', () => {
  const nodes = buildPlanTree({ todo: { path: 't', items: [{ line: 2, text: ' a ', done: false, step: null }] }, plan: null });
  assert.equal(nodes.length, 1);
  assert.equal((nodes[0] as GroupNode).label, 'Todo items');
  assert.equal((nodes[0] as GroupNode).children[0].label, 'a');
});

test('empty and missing status', () => {
  assert.deepEqual(buildPlanTree(undefined), []);
  assert.deepEqual(buildPlanTree({}), []);
});

test('duplicated step numbers keep items under the first one only', () => {
  const s: PlanStatus = {
    todo: { path: 't', items: [{ line: 1, text: 'x', done: false, step: '1' }] },
    plan: {
      path: 'p',
      steps: [
        { number: '1', title: 'A', line: 1, todo_total: 1, todo_done: 0 },
        { number: '1', title: 'B', line: 9, todo_total: 1, todo_done: 0 },
      ],
    },
  };
  const nodes = buildPlanTree(s) as StepNode[];
  assert.equal(nodes[0].children.length, 1);
  assert.equal(nodes[1].children.length, 0);
  assert.notEqual(nodes[0].id, nodes[1].id);
});

test('claims reported by the server win over the text', () => {
  const s: PlanStatus = {
    todo: { path: 't', items: [{ line: 1, text: 'x', done: false, step: '1', claim: 'eve' }] },
    plan: { path: 'p', steps: [{ number: '1', title: 'A', line: 1, todo_total: 1, todo_done: 0, claim: 'bot' }] },
  };
  const [step] = buildPlanTree(s) as StepNode[];
  assert.equal(step.claimedBy, 'bot');
  assert.equal(step.children[0].claimedBy, 'eve');
});

test('claims and the step at a line', () => {
  assert.equal(claimOf('do it (@bob)'), 'bob');
  assert.equal(claimOf('no claim'), null);
  assert.equal(stepAtLine(status, 4), null);
  assert.equal(stepAtLine(status, 5), '1');
  assert.equal(stepAtLine(status, 39), '2');
  assert.equal(stepAtLine(status, 400), '3');
});

test('one node per plan when the workspace has several, none for one', () => {
  const plan = (id: string, format: string, done: number, total: number, archived = false) =>
    ({ id, format, name: id.split('/').pop(), done, total, nextStep: null, files: [], archived });
  const nodes = planNodes({ done: 1, total: 3, nextStep: null,
    plans: [plan('.', 'prompt_plan', 1, 3), plan('.kiro/specs/sync', 'kiro', 0, 4),
      plan('openspec/changes/archive/old', 'openspec', 2, 2, true)] });
  assert.deepEqual(nodes.map((n) => [n.label, n.description, n.primary]), [
    ['Prompt plan', 'prompt_plan · 1/3', true],
    ['sync', 'kiro · 0/4', false],
    ['old', 'openspec · 2/2 · archived', false],
  ]);
  assert.deepEqual(planNodes({ done: 1, total: 3, nextStep: null, plans: [plan('.', 'prompt_plan', 1, 3)] }), []);
  assert.deepEqual(planNodes({ done: 1, total: 3, nextStep: null }), []);
});
