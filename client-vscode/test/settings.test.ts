import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { explicitSettings, Inspected, SERVER_SETTINGS } from '../src/logic/settings';

test('only the settings somebody set are sent, nested, the narrowest scope winning', () => {
  const set: Record<string, Inspected> = {
    'files.todo': { globalValue: 'mine.md', workspaceFolderValue: 'docs/todo.md' },
    'llm.model': { globalValue: 'my-model' },
    'llm.timeout': { workspaceValue: 30, globalValue: 60 },
    'files.plan': {}, // only a default: left to the project's settings file
  };
  assert.deepEqual(explicitSettings(SERVER_SETTINGS, (k) => set[k]), {
    files: { todo: 'docs/todo.md' },
    llm: { model: 'my-model', timeout: 30 },
  });
});

test('nothing set sends nothing', () => {
  assert.deepEqual(explicitSettings(SERVER_SETTINGS, () => undefined), {});
  assert.deepEqual(explicitSettings(['user'], () => ({ globalValue: '' })), { user: '' });
});

test('untrusted: the settings that start programs come only from the user', () => {
  const set: Record<string, Inspected> = {
    'run.agent': { globalValue: 'aider', workspaceValue: 'evil --rm' },
    'run.test': { workspaceFolderValue: 'curl x | sh' },
    'run.retries': { workspaceValue: 1 },
  };
  assert.deepEqual(explicitSettings(SERVER_SETTINGS, (k) => set[k], false), {
    run: { agent: 'aider', retries: 1 }, workspaceTrusted: false,
  });
  assert.deepEqual(explicitSettings(SERVER_SETTINGS, (k) => set[k], true), {
    run: { agent: 'evil --rm', test: 'curl x | sh', retries: 1 },
  });
});
