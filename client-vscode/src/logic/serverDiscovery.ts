// Finding the plan-ls server of a workspace folder: the planLs.server.command setting, then
// `plan-ls` on PATH, then `<python> -m plan_ls serve` with the workspace's Python. The Python
// comes from the Python extension's typed API (@vscode/python-extension), else from
// python.defaultInterpreterPath, else `python3`. Pure: VS Code and the file system come in as
// arguments, so the unit tests run it with a fake of the Python extension's API.
import * as path from 'path';
import type { PythonExtension, Resource } from '@vscode/python-extension';
import { isDefaultCommand, parseCommandSetting, resolveServerCommand, Resolution } from './serverCommand';

/** The part of the Python extension's API that discovery uses. */
export type PythonEnvironments = Pick<PythonExtension['environments'], 'getActiveEnvironmentPath' | 'resolveEnvironment'>;

export interface PythonSource {
  /**
   * The Python extension's API (`PythonExtension.api()`); rejects when the extension is not
   * installed or is disabled.
   */
  api: () => Promise<{ readonly environments: PythonEnvironments }>;
  /** the workspace folder (or its URI) whose environment is asked for */
  resource: Resource | undefined;
  /** python.defaultInterpreterPath with its variables replaced; undefined or '' when unset */
  defaultInterpreterPath: string | undefined;
  /** the workspace folder's file-system path: a relative defaultInterpreterPath is taken from it */
  folderPath: string;
  isExecutable: (p: string) => boolean;
  /** where a failing Python extension is reported */
  log: (line: string) => void;
}

export interface PythonChoice {
  /** an interpreter path, or a bare name to look up on PATH */
  python: string;
  via: 'python extension' | 'python.defaultInterpreterPath' | 'default';
}

/**
 * The workspace's Python interpreter. The Python extension's active environment for the
 * resource, resolved to its executable (an environment it cannot resolve, or one without an
 * executable, is used only when its path is itself an executable file); else
 * python.defaultInterpreterPath (relative to the folder when it holds a `/`); else `python3`.
 * Never rejects: an absent or failing Python extension counts as no choice.
 */
export async function workspacePython(src: PythonSource): Promise<PythonChoice> {
  let api: { readonly environments: PythonEnvironments } | undefined;
  try {
    api = await src.api();
  } catch {
    // not installed or disabled: the extension is optional
    api = undefined;
  }
  if (api) {
    try {
      const active = api.environments.getActiveEnvironmentPath(src.resource);
      const resolved = await api.environments.resolveEnvironment(active);
      const executable = resolved?.executable.uri?.fsPath;
      if (executable) return { python: executable, via: 'python extension' };
      if (active.path && src.isExecutable(active.path)) return { python: active.path, via: 'python extension' };
      src.log(`the Python extension's environment ${active.path || active.id} has no Python executable`);
    } catch (e) {
      src.log(`the Python extension did not answer: ${String(e)}`);
    }
  }
  const configured = src.defaultInterpreterPath?.trim();
  if (configured) {
    const p = path.isAbsolute(configured) || !configured.includes('/') ? configured : path.join(src.folderPath, configured);
    return { python: p, via: 'python.defaultInterpreterPath' };
  }
  return { python: 'python3', via: 'default' };
}

export interface DiscoveryInput {
  /** planLs.server.command, variables replaced */
  setting: unknown;
  /** true when the user changed planLs.server.command from its default */
  explicit: boolean;
  envPath: string | undefined;
  isExecutable: (p: string) => boolean;
  /** the workspace's Python; asked only when neither the setting nor PATH gives a server */
  python: () => Promise<PythonChoice | null>;
  /** whether `python -c "import <module>"` succeeds */
  hasModule: (python: string, module: string) => Promise<boolean>;
}

export interface Discovery {
  /** what to run, or null when nothing was found */
  resolution: Resolution | null;
  /** the Python that was asked, when it was */
  python: PythonChoice | null;
  /** why nothing was found, for the log; '' when something was */
  why: string;
}

/**
 * How to start the server: the setting (used as written when it is not the default), then
 * `plan-ls` on PATH, then the workspace's Python with `-m plan_ls serve` when that Python has
 * the plan_ls module. The Python (and so the Python extension) is asked only when needed.
 */
export async function discoverServer(input: DiscoveryInput): Promise<Discovery> {
  const base = { setting: input.setting, explicit: input.explicit, envPath: input.envPath, isExecutable: input.isExecutable };
  const direct = resolveServerCommand({ ...base, python: null });
  if (direct) return { resolution: direct, python: null, why: '' };
  const parts = parseCommandSetting(input.setting);
  if (input.explicit && !isDefaultCommand(parts)) {
    return { resolution: null, python: null, why: `${parts[0]} is not an executable file nor on PATH` };
  }
  const python = await input.python();
  const viaPython = resolveServerCommand({ ...base, python: python?.python ?? null });
  if (!viaPython) {
    return { resolution: null, python, why: `${parts[0]} is not on PATH and no Python was found (${python?.python ?? 'none'})` };
  }
  if (!(await input.hasModule(viaPython.command, 'plan_ls'))) {
    return { resolution: null, python, why: `${viaPython.command} has no plan_ls module` };
  }
  return { resolution: viaPython, python, why: '' };
}
