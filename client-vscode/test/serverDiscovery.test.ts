import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { EnvironmentPath, Resource, ResolvedEnvironment } from '@vscode/python-extension';
import type { Uri } from 'vscode';
import { discoverServer, DiscoveryInput, PythonEnvironments, PythonSource, workspacePython } from '../src/logic/serverDiscovery';

/** A fake of the Python extension's typed API: one active environment per resource, recorded calls. */
class FakePythonApi {
  readonly asked: (Resource | undefined)[] = [];
  readonly resolved: (string | EnvironmentPath)[] = [];
  /**
   * `active`: what getActiveEnvironmentPath answers; `executables`: environment path -> the
   * executable resolveEnvironment reports (null: resolved but without an executable; a path
   * missing from the map: an environment it cannot resolve).
   */
  constructor(
    private readonly active: EnvironmentPath,
    private readonly executables: Record<string, string | null>,
  ) {}

  readonly environments: PythonEnvironments = {
    getActiveEnvironmentPath: (resource?: Resource) => {
      this.asked.push(resource);
      return this.active;
    },
    resolveEnvironment: async (environment) => {
      const key = typeof environment === 'string' ? environment : environment.path;
      this.resolved.push(typeof environment === 'string' ? environment : { id: environment.id, path: environment.path });
      if (!(key in this.executables)) return undefined;
      return resolvedEnvironment(key, this.executables[key]);
    },
  };
}

function resolvedEnvironment(envPath: string, executable: string | null): ResolvedEnvironment {
  return {
    id: envPath,
    path: envPath,
    // only fsPath is read; a vscode.Uri cannot be built outside VS Code
    executable: { uri: executable === null ? undefined : ({ fsPath: executable } as Uri), bitness: '64-bit', sysPrefix: envPath },
    environment: undefined,
    version: undefined,
    tools: ['Venv'],
  };
}

const exe = (...present: string[]) => (p: string) => present.includes(p);
const FOLDER = { fsPath: '/work/proj' } as Uri;

/** A PythonSource around `api` (undefined: the Python extension is not installed). */
function source(api: FakePythonApi | undefined, over: Partial<PythonSource> = {}): PythonSource & { logged: string[]; apiCalls: number } {
  const logged: string[] = [];
  const src = {
    logged,
    apiCalls: 0,
    api: async () => {
      src.apiCalls++;
      // what PythonExtension.api() does when ms-python.python is absent
      if (!api) throw new Error('Python extension is not installed or is disabled');
      return api;
    },
    resource: FOLDER,
    defaultInterpreterPath: undefined,
    folderPath: '/work/proj',
    isExecutable: exe(),
    log: (line: string) => logged.push(line),
    ...over,
  };
  return src;
}

test("the Python extension's active environment, resolved to its executable", async () => {
  const api = new FakePythonApi({ id: 'venv', path: '/work/proj/.venv' }, { '/work/proj/.venv': '/work/proj/.venv/bin/python' });
  const choice = await workspacePython(source(api, { defaultInterpreterPath: '/usr/bin/python3.12' }));
  assert.deepEqual(choice, { python: '/work/proj/.venv/bin/python', via: 'python extension' });
  assert.deepEqual(api.asked, [FOLDER]); // the folder's environment, not the window's
  assert.deepEqual(api.resolved, [{ id: 'venv', path: '/work/proj/.venv' }]);
});

test('an environment the Python extension cannot resolve: its path when that is an interpreter, else the setting', async () => {
  const interpreter = new FakePythonApi({ id: 'x', path: '/opt/py/bin/python3' }, {});
  assert.deepEqual(await workspacePython(source(interpreter, { isExecutable: exe('/opt/py/bin/python3') })), {
    python: '/opt/py/bin/python3',
    via: 'python extension',
  });
  const folderOnly = new FakePythonApi({ id: 'conda', path: '/opt/conda/envs/empty' }, { '/opt/conda/envs/empty': null });
  const src = source(folderOnly, { defaultInterpreterPath: '.venv/bin/python' });
  assert.deepEqual(await workspacePython(src), { python: '/work/proj/.venv/bin/python', via: 'python.defaultInterpreterPath' });
  assert.match(src.logged.join('\n'), /\/opt\/conda\/envs\/empty has no Python executable/);
});

test('without the Python extension: python.defaultInterpreterPath, else python3', async () => {
  assert.deepEqual(await workspacePython(source(undefined, { defaultInterpreterPath: ' /usr/bin/python3.11 ' })), {
    python: '/usr/bin/python3.11',
    via: 'python.defaultInterpreterPath',
  });
  // a bare name stays a bare name, looked up on PATH later
  assert.equal((await workspacePython(source(undefined, { defaultInterpreterPath: 'python' }))).python, 'python');
  const none = source(undefined, { defaultInterpreterPath: '' });
  assert.deepEqual(await workspacePython(none), { python: 'python3', via: 'default' });
  assert.equal(none.apiCalls, 1);
  assert.deepEqual(none.logged, []); // an absent extension is normal, not worth a log line
});

test('a Python extension that throws counts as no choice, and is logged', async () => {
  const broken = { environments: { getActiveEnvironmentPath: () => { throw new Error('not ready'); } } } as unknown as FakePythonApi;
  const src = source(broken);
  assert.deepEqual(await workspacePython(src), { python: 'python3', via: 'default' });
  assert.match(src.logged.join('\n'), /did not answer: Error: not ready/);
});

/** discoverServer's input with the workspace's Python from `src`; counts the module checks. */
function discovery(over: Partial<DiscoveryInput>, src: PythonSource, withModule: string[]) {
  const checked: string[] = [];
  const input: DiscoveryInput = {
    setting: ['plan-ls', 'serve'],
    explicit: false,
    envPath: '/usr/local/bin:/usr/bin',
    isExecutable: exe(),
    python: () => workspacePython(src),
    hasModule: async (python, module) => {
      checked.push(`${python} ${module}`);
      return withModule.includes(python);
    },
    ...over,
  };
  return { input, checked };
}

test('plan-ls on PATH wins, and the Python extension is not asked', async () => {
  const api = new FakePythonApi({ id: 'v', path: '/v/bin/python' }, { '/v/bin/python': '/v/bin/python' });
  const src = source(api);
  const { input, checked } = discovery({ isExecutable: exe('/usr/bin/plan-ls', '/v/bin/python') }, src, ['/v/bin/python']);
  const d = await discoverServer(input);
  assert.deepEqual(d.resolution, { command: '/usr/bin/plan-ls', args: ['serve'], via: 'path' });
  assert.equal(src.apiCalls, 0);
  assert.deepEqual(checked, []);
});

test('an explicit setting is used as written; a missing one finds nothing and asks no Python', async () => {
  const src = source(new FakePythonApi({ id: 'v', path: '/v/bin/python' }, { '/v/bin/python': '/v/bin/python' }));
  const set = await discoverServer(discovery({ setting: '/opt/pl/plan-ls serve --x', explicit: true, isExecutable: exe('/opt/pl/plan-ls', '/usr/bin/plan-ls') }, src, []).input);
  assert.deepEqual(set.resolution, { command: '/opt/pl/plan-ls', args: ['serve', '--x'], via: 'setting' });
  const missing = await discoverServer(discovery({ setting: ['/gone/plan-ls', 'serve'], explicit: true, isExecutable: exe('/v/bin/python') }, src, ['/v/bin/python']).input);
  assert.equal(missing.resolution, null);
  assert.equal(missing.python, null);
  assert.match(missing.why, /\/gone\/plan-ls/);
  assert.equal(src.apiCalls, 0);
});

test("not on PATH: the Python extension's interpreter runs the module, when it has it", async () => {
  const api = new FakePythonApi({ id: 'v', path: '/work/proj/.venv' }, { '/work/proj/.venv': '/work/proj/.venv/bin/python' });
  const isExecutable = exe('/work/proj/.venv/bin/python', '/usr/bin/python3');
  const ok = discovery({ isExecutable }, source(api), ['/work/proj/.venv/bin/python']);
  const d = await discoverServer(ok.input);
  assert.deepEqual(d.resolution, { command: '/work/proj/.venv/bin/python', args: ['-m', 'plan_ls', 'serve'], via: 'python' });
  assert.equal(d.python?.via, 'python extension');
  assert.deepEqual(ok.checked, ['/work/proj/.venv/bin/python plan_ls']);
  // the same interpreter without plan_ls: nothing, and the log says why
  const without = await discoverServer(discovery({ isExecutable }, source(api), ['/usr/bin/python3']).input);
  assert.equal(without.resolution, null);
  assert.equal(without.why, '/work/proj/.venv/bin/python has no plan_ls module');
});

test('not on PATH and no Python extension: python3 from PATH, as before the typed API', async () => {
  const { input, checked } = discovery({ isExecutable: exe('/usr/bin/python3') }, source(undefined), ['/usr/bin/python3']);
  const d = await discoverServer(input);
  assert.deepEqual(d.resolution, { command: '/usr/bin/python3', args: ['-m', 'plan_ls', 'serve'], via: 'python' });
  assert.deepEqual(d.python, { python: 'python3', via: 'default' });
  assert.deepEqual(checked, ['/usr/bin/python3 plan_ls']);
  const nothing = await discoverServer(discovery({ isExecutable: exe() }, source(undefined), []).input);
  assert.equal(nothing.resolution, null);
  assert.match(nothing.why, /no Python was found \(python3\)/);
});
