import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { oneLine, selectedLines, stepPrompt } from '../src/logic/text';

const sel = (l1: number, c1: number, l2: number, c2: number) => ({ start: { line: l1, character: c1 }, end: { line: l2, character: c2 } });

test('selected lines', () => {
  assert.deepEqual(selectedLines([sel(4, 3, 4, 3)]), [4]);
  assert.deepEqual(selectedLines([sel(2, 0, 5, 0)]), [2, 3, 4]);
  assert.deepEqual(selectedLines([sel(5, 2, 2, 1)]), [2, 3, 4, 5]);
  assert.deepEqual(selectedLines([sel(7, 0, 7, 0), sel(1, 1, 2, 4), sel(2, 0, 2, 1)]), [1, 2, 7]);
});

const plan = [
  '# Plan', // 0
  '## Step 1: Skeleton', // 1
  'Some words.', // 2
  '```python', // 3
  'print(1)', // 4
  '```', // 5
  '```text', // 6
  'Write the skeleton.', // 7
  '', // 8
  'Wire it in.', // 9
  '```', // 10
  '## Step 2: Parser', // 11
  '````', // 12
  'Parse it.', // 13
  '````', // 14
].join('\n');

test('a step prompt prefers the text block', () => {
  assert.equal(stepPrompt(plan, 1, 11), 'Write the skeleton.\n\nWire it in.');
});

test('a step without a text block takes its first block', () => {
  assert.equal(stepPrompt(plan, 11, -1), 'Parse it.');
  assert.equal(stepPrompt('## Step 1\nno block', 0, -1), null);
});

test('one line', () => {
  assert.equal(oneLine('a\n  b'), 'a b');
  assert.equal(oneLine('x'.repeat(100), 10), `${'x'.repeat(9)}…`);
});
