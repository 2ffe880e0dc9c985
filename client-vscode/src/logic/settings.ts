// The planLs.* settings the server reads, as the user set them. VS Code answers every
// setting of the manifest with its default when nobody set it; sent like that, the defaults
// would hide the project's .plan-ls/config.toml, which the server puts below the client's.

/** The settings the server reads (server/plan_ls/settings.py), by their dotted keys. */
export const SERVER_SETTINGS = [
  'files.spec', 'files.plan', 'files.todo', 'files.interview',
  'llm.baseUrl', 'llm.model', 'llm.planModel', 'llm.apiKeyEnv', 'llm.mode',
  'llm.temperature', 'llm.timeout', 'llm.maxAnswerBytes', 'llm.contextTokens',
  'user', 'symbols', 'progressDisplay', 'plans',
  'run.agent', 'run.test', 'run.retries', 'run.timeout',
] as const;

/** Settings that start programs: in an untrusted workspace (Restricted Mode) only the
 *  user's own value counts, never the workspace's (package.json restrictedConfigurations). */
export const RESTRICTED_SETTINGS: readonly string[] = ['run.agent', 'run.test'];

/** What VS Code's `WorkspaceConfiguration.inspect(key)` reports (the parts used here). */
export interface Inspected {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** The settings somebody set (in the folder, the workspace or the user's settings, the
 *  narrowest winning), nested as the server reads them: `{files: {todo: 'x.md'}}`. A key
 *  nobody set is left out, so the server takes it from the settings file, else its default. */
export function explicitSettings(
  keys: readonly string[],
  inspect: (key: string) => Inspected | undefined,
  trusted = true,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const i = inspect(key);
    const value = !trusted && RESTRICTED_SETTINGS.includes(key)
      ? i?.globalValue
      : i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
    if (value === undefined) continue;
    const parts = key.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      node = (typeof next === 'object' && next !== null ? next : (node[part] = {})) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  // the server runs no agent or test command the workspace names while this is false
  if (!trusted) out.workspaceTrusted = false;
  return out;
}
