import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseCommandSetting, resolveServerCommand, splitCommandLine } from '../src/logic/serverCommand';

test('command lines split like a shell would, roughly', () => {
  assert.deepEqual(splitCommandLine('plan-ls serve'), ['plan-ls', 'serve']);
  assert.deepEqual(splitCommandLine('  "/opt/my tools/plan-ls"  serve --x \'\' '), ['/opt/my tools/plan-ls', 'serve', '--x', '']);
});

test('the setting as array, string, or nonsense', () => {
  assert.deepEqual(parseCommandSetting(['/v/bin/plan-ls', 'serve']), ['/v/bin/plan-ls', 'serve']);
  assert.deepEqual(parseCommandSetting('python -m plan_ls serve'), ['python', '-m', 'plan_ls', 'serve']);
  assert.deepEqual(parseCommandSetting(''), ['plan-ls', 'serve']);
  assert.deepEqual(parseCommandSetting([]), ['plan-ls', 'serve']);
  assert.deepEqual(parseCommandSetting(42), ['plan-ls', 'serve']);
});

const exe = (...present: string[]) => (p: string) => present.includes(p);

test('default command found on PATH', () => {
  const r = resolveServerCommand({ setting: undefined, explicit: false, envPath: '/a:/b', isExecutable: exe('/b/plan-ls'), python: 'python3' });
  assert.deepEqual(r, { command: '/b/plan-ls', args: ['serve'], via: 'path' });
});

test('default command missing: the workspace python runs the module', () => {
  const r = resolveServerCommand({ setting: ['plan-ls', 'serve'], explicit: false, envPath: '/a:/b', isExecutable: exe('/b/python3'), python: 'python3' });
  assert.deepEqual(r, { command: '/b/python3', args: ['-m', 'plan_ls', 'serve'], via: 'python' });
  const abs = resolveServerCommand({ setting: undefined, explicit: false, envPath: '', isExecutable: exe('/venv/bin/python'), python: '/venv/bin/python' });
  assert.equal(abs?.command, '/venv/bin/python');
});

test('nothing to run', () => {
  assert.equal(resolveServerCommand({ setting: undefined, explicit: false, envPath: '/a', isExecutable: exe(), python: 'python3' }), null);
  assert.equal(resolveServerCommand({ setting: undefined, explicit: false, envPath: '/a', isExecutable: exe(), python: null }), null);
});

test('an explicit command is used as written, with no fall-back', () => {
  const r = resolveServerCommand({ setting: ['/v/bin/plan-ls', 'serve', '--log'], explicit: true, envPath: '', isExecutable: exe('/v/bin/plan-ls'), python: null });
  assert.deepEqual(r, { command: '/v/bin/plan-ls', args: ['serve', '--log'], via: 'setting' });
  const missing = resolveServerCommand({ setting: '/nope/plan-ls serve', explicit: true, envPath: '/b', isExecutable: exe('/b/python3'), python: 'python3' });
  assert.equal(missing, null);
});
