// How the language server is started: the planLs.server.command setting (string or array),
// with a fall-back to `<python> -m plan_ls serve` when `plan-ls` is not on PATH.
import * as path from 'path';

export const DEFAULT_COMMAND = ['plan-ls', 'serve'];

/** Split a command line on white space, keeping "double" and 'single' quoted parts whole. */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

export function parseCommandSetting(value: unknown): string[] {
  if (Array.isArray(value)) {
    const parts = value.filter((v): v is string => typeof v === 'string');
    return parts.length > 0 && parts[0].trim() !== '' ? parts : [...DEFAULT_COMMAND];
  }
  if (typeof value === 'string' && value.trim() !== '') return splitCommandLine(value.trim());
  return [...DEFAULT_COMMAND];
}

/** Find a program the way a shell would: a path is taken as is, a bare name is looked up in PATH. */
export function findOnPath(
  program: string,
  envPath: string | undefined,
  isExecutable: (p: string) => boolean,
  pathSep = path.delimiter,
): string | null {
  if (program.includes('/') || program.includes('\\')) return isExecutable(program) ? program : null;
  for (const dir of (envPath ?? '').split(pathSep)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

export interface Resolution {
  command: string;
  args: string[];
  /** how it was found, for the log */
  via: 'setting' | 'path' | 'python';
}

export interface ResolveInput {
  setting: unknown;
  /** true when the user changed planLs.server.command from its default */
  explicit: boolean;
  envPath: string | undefined;
  isExecutable: (p: string) => boolean;
  /** the workspace's Python interpreter, when one is configured */
  python: string | null;
}

/**
 * The command to run. An explicit setting is used as written (resolved on PATH when it is a bare
 * name). The default `plan-ls serve` falls back to `<python> -m plan_ls serve` when `plan-ls` is
 * not on PATH. Returns null when nothing can be run.
 */
export function resolveServerCommand(input: ResolveInput): Resolution | null {
  const parts = parseCommandSetting(input.setting);
  const [program, ...args] = parts;
  const found = findOnPath(program, input.envPath, input.isExecutable);
  if (found) return { command: found, args, via: input.explicit ? 'setting' : 'path' };
  if (input.explicit && !isDefaultCommand(parts)) return null;
  if (input.python) {
    const py = findOnPath(input.python, input.envPath, input.isExecutable);
    if (py) return { command: py, args: ['-m', 'plan_ls', 'serve'], via: 'python' };
  }
  return null;
}

/** Whether a parsed command is the default `plan-ls serve`. */
export function isDefaultCommand(parts: string[]): boolean {
  return parts.length === DEFAULT_COMMAND.length && parts.every((p, i) => p === DEFAULT_COMMAND[i]);
}
