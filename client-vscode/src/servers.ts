// One plan-ls server per workspace folder: starting, the single clear error when it cannot
// start, restarting, routing of commands, and the state each server reports.
import * as cp from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClientOptions,
  MessageType,
  ResponseError,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';
import { PlanLanguageClient } from './client';
import { otherPlanIds } from './logic/planTree';
import { folderSelector } from './logic/selector';
import { Resolution } from './logic/serverCommand';
import { discoverServer, workspacePython } from './logic/serverDiscovery';
import { explicitSettings, SERVER_SETTINGS } from './logic/settings';
import type { PlanStatus, Progress } from './logic/types';
import { busy, serverProgress } from './progressUi';

export const SECRET_KEY = 'planLs.apiKey';
export type FileKey = 'todo' | 'plan' | 'spec' | 'interview';
const DEFAULT_FILES: Record<FileKey, string> = {
  todo: 'todo.md',
  plan: 'prompt_plan.md',
  spec: 'spec.md',
  interview: 'spec-interview.md',
};

export class FolderServer {
  client: PlanLanguageClient | undefined;
  starting: Promise<PlanLanguageClient | undefined> | undefined;
  progress: Progress | undefined;
  status: PlanStatus | undefined;
  /** `planLs.status {plan}` of every plan but the primary, by plan id (the Plan view) */
  planStatus = new Map<string, PlanStatus>();
  failed = false;
  failedWhy: 'notFound' | 'crashed' = 'notFound';
  private restarts: number[] = [];
  private statusTimer: NodeJS.Timeout | undefined;
  private initialized = false;
  private statusRetries = 0;

  constructor(readonly folder: vscode.WorkspaceFolder, private readonly manager: Servers) {}

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  start(): Promise<PlanLanguageClient | undefined> {
    if (this.client && this.running) return Promise.resolve(this.client);
    if (!this.starting) {
      this.starting = this.doStart().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  private async doStart(): Promise<PlanLanguageClient | undefined> {
    const m = this.manager;
    const resolution = await m.resolveCommand(this.folder);
    if (!resolution) {
      this.failed = true;
      this.failedWhy = 'notFound';
      m.startFailed(this.folder, 'notFound');
      return undefined;
    }
    const cfg = vscode.workspace.getConfiguration('planLs', this.folder.uri);
    const env: NodeJS.ProcessEnv = { ...process.env };
    const keyEnv = cfg.get<string>('llm.apiKeyEnv') || 'OPENAI_API_KEY';
    const key = await m.secrets.get(SECRET_KEY);
    if (key) env[keyEnv] = key;
    m.log(
      `[${this.folder.name}] starting: ${[resolution.command, ...resolution.args].join(' ')} (${resolution.via})` +
        (key ? ` with ${keyEnv} from secret storage` : ''),
    );
    const serverOptions: ServerOptions = {
      command: resolution.command,
      args: resolution.args,
      // no `transport`: with TransportKind.stdio the client would append `--stdio` to the args
      options: { cwd: this.folder.uri.fsPath, env },
    };
    const folder = this.folder;
    const clientOptions: LanguageClientOptions = {
      // every file of the folder, not only markdown: hover and the check-off action on a
      // source line that a finding of code-review.md / missing-tests.md points at. The
      // client passes a filter's pattern on to vscode.languages.match unchanged, and that
      // takes a RelativePattern, though the protocol type says string.
      documentSelector: folderSelector(folder, (base, glob) => new vscode.RelativePattern(base, glob)) as unknown as
        LanguageClientOptions['documentSelector'],
      workspaceFolder: folder,
      outputChannel: m.output,
      // errors go to the log; the extension shows one message of its own when a server fails
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: settingsFor(folder),
      synchronize: { configurationSection: 'planLs' },
      diagnosticCollectionName: `plan-ls (${folder.name})`,
      initializationFailedHandler: (error) => {
        m.log(`[${folder.name}] initialization failed: ${String(error)}`);
        return false;
      },
      errorHandler: {
        error: (_e, _msg, count) => ({
          action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
          handled: true,
        }),
        closed: () => this.onClosed(),
      },
      middleware: {
        workspace: {
          // answer workspace/configuration with this folder's settings when no scope is given
          configuration: (params) =>
            params.items.map((item) => {
              const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : folder.uri;
              if (!item.section) return null;
              if (item.section === 'planLs') return explicitFor(scope);
              return vscode.workspace.getConfiguration(undefined, scope).get(item.section) ?? null;
            }),
          // the client would send the whole section, defaults included; an empty change makes
          // the server ask (workspace/configuration above), and get only what was set
          didChangeConfiguration: async () => {
            await client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
          },
        },
      },
    };
    const client = new PlanLanguageClient('planLs', `Plan (${folder.name})`, serverOptions, clientOptions);
    client.popup = (type, message) => {
      if (type === MessageType.Error) m.log(`[${folder.name}] ${message}`);
    };
    this.client = client;
    this.initialized = false;
    client.onNotification('planLs/progress', (p: Progress) => {
      m.log(`[${folder.name}] progress: ${p.done}/${p.total}, next step ${p.nextStep?.number ?? 'none'}`);
      this.progress = p;
      m.changed(this);
      this.refreshStatusSoon();
    });
    try {
      await client.start();
      // a server that exits before it answers `initialize` closes the connection, and then
      // start() can resolve with the client stopped: that is a failed start too
      if (client.state !== State.Running) {
        throw new Error(`the server exited before it answered initialize (client ${State[client.state]})`);
      }
    } catch (e) {
      this.failed = true;
      this.failedWhy = 'crashed';
      m.log(`[${folder.name}] the server did not start: ${String(e)}`);
      m.startFailed(folder, 'crashed');
      await client.dispose().catch(() => undefined);
      if (this.client === client) this.client = undefined;
      return undefined;
    }
    this.initialized = true;
    this.failed = false;
    const info = client.initializeResult?.serverInfo;
    m.log(`[${folder.name}] running: ${info ? `${info.name} ${info.version ?? ''}`.trim() : 'the server'}; ` +
      `commands: ${client.serverCommands().join(', ') || 'none'}`);
    m.registerServerCommands(client.serverCommands());
    m.changed(this);
    this.refreshStatusSoon(0);
    return client;
  }

  private onClosed(): { action: CloseAction; handled: boolean } {
    const m = this.manager;
    if (!this.initialized) {
      // never came up: doStart reports it once
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 3 * 60_000);
    if (this.restarts.length < 2) {
      this.restarts.push(now);
      m.log(`[${this.folder.name}] the server stopped; restarting it`);
      return { action: CloseAction.Restart, handled: true };
    }
    m.log(`[${this.folder.name}] the server stopped 3 times in 3 minutes; not restarting it`);
    this.failed = true;
    this.failedWhy = 'crashed';
    m.startFailed(this.folder, 'crashed');
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  refreshStatusSoon(delay = 150): void {
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      void this.refreshStatus();
    }, delay);
  }

  async refreshStatus(): Promise<void> {
    const client = this.client;
    if (!client || !this.running || !client.serverCommands().includes('planLs.status')) return;
    try {
      const result = (await client.sendRequest(ExecuteCommandRequest.type, {
        command: 'planLs.status',
        arguments: [{}],
      })) as PlanStatus | null;
      this.status = result ?? undefined;
      this.manager.log(
        `[${this.folder.name}] status: ${result?.todo?.done ?? 0}/${result?.todo?.total ?? 0} items done, ` +
          `${result?.plan?.steps?.length ?? 0} steps`,
      );
      // the status and the last progress notification should agree; when they don't, the
      // server's state was still settling: ask again shortly (a few times at most)
      const p = this.progress;
      const agrees = !p || !result?.todo || (result.todo.done === p.done && result.todo.total === p.total);
      if (!agrees && this.statusRetries < 5) {
        this.statusRetries++;
        this.refreshStatusSoon(300);
      } else if (agrees) {
        this.statusRetries = 0;
      }
      if (!this.progress && result?.todo) {
        // a server that sends no planLs/progress still gets a status bar
        this.progress = { done: result.todo.done ?? 0, total: result.todo.total ?? 0, nextStep: null };
      }
      this.planStatus = await this.otherPlansStatus(client);
      this.manager.changed(this);
    } catch (e) {
      this.manager.log(`[${this.folder.name}] planLs.status failed: ${String(e)}`);
    }
  }

  /** The status of each plan but the primary, for their nodes in the Plan view. */
  private async otherPlansStatus(client: PlanLanguageClient): Promise<Map<string, PlanStatus>> {
    const out = new Map<string, PlanStatus>();
    for (const id of otherPlanIds(this.progress)) {
      try {
        const result = (await client.sendRequest(ExecuteCommandRequest.type, {
          command: 'planLs.status',
          arguments: [{ plan: id }],
        })) as PlanStatus | null;
        if (result) out.set(id, result);
      } catch (e) {
        this.manager.log(`[${this.folder.name}] planLs.status of plan ${id} failed: ${String(e)}`);
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    if (client) {
      try {
        if (client.state !== State.Stopped) await client.stop(4000);
      } catch (e) {
        this.manager.log(`[${this.folder.name}] stopping: ${String(e)}`);
      }
      await client.dispose().catch(() => undefined);
    }
  }
}

/** The planLs settings somebody set for `scope` (see logic/settings.ts: not the defaults). */
export function settingsFor(folder: vscode.WorkspaceFolder | undefined): unknown {
  return { planLs: explicitFor(folder?.uri) };
}

function explicitFor(scope: vscode.Uri | undefined): Record<string, unknown> {
  const cfg = vscode.workspace.getConfiguration('planLs', scope);
  return explicitSettings(SERVER_SETTINGS, (key) => cfg.inspect(key), vscode.workspace.isTrusted);
}

export function fileSetting(folder: vscode.WorkspaceFolder, key: FileKey): string {
  const v = vscode.workspace.getConfiguration('planLs', folder.uri).get<string>(`files.${key}`);
  return v && v.trim() ? v.trim() : DEFAULT_FILES[key];
}

export function fileUri(folder: vscode.WorkspaceFolder, key: FileKey): vscode.Uri {
  const rel = fileSetting(folder, key);
  return path.isAbsolute(rel) ? vscode.Uri.file(rel) : vscode.Uri.joinPath(folder.uri, rel);
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export class Servers implements vscode.Disposable {
  readonly output: vscode.OutputChannel;
  private readonly byFolder = new Map<string, FolderServer>();
  private readonly registered = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly emitter = new vscode.EventEmitter<FolderServer | undefined>();
  readonly onDidChange = this.emitter.event;
  private errorShown = false;
  private errorShownAt = 0;

  constructor(readonly secrets: vscode.SecretStorage) {
    this.output = vscode.window.createOutputChannel('Plan Language Server');
  }

  log(line: string): void {
    this.output.appendLine(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  }

  changed(server: FolderServer | undefined): void {
    void vscode.commands.executeCommand('setContext', 'planLs.running', this.all().some((s) => s.running));
    this.emitter.fire(server);
  }

  all(): FolderServer[] {
    return [...this.byFolder.values()];
  }

  get(folder: vscode.WorkspaceFolder): FolderServer {
    const key = folder.uri.toString();
    let s = this.byFolder.get(key);
    if (!s) {
      s = new FolderServer(folder, this);
      this.byFolder.set(key, s);
      // the Plan view shows once a folder has (or tried to have) a server
      void vscode.commands.executeCommand('setContext', 'planLs.active', true);
    }
    return s;
  }

  peek(folder: vscode.WorkspaceFolder): FolderServer | undefined {
    return this.byFolder.get(folder.uri.toString());
  }

  async remove(folder: vscode.WorkspaceFolder): Promise<void> {
    const s = this.peek(folder);
    this.byFolder.delete(folder.uri.toString());
    await s?.stop();
    this.changed(undefined);
  }

  /** The server for the folder of a URI (started on demand). */
  async clientFor(folder: vscode.WorkspaceFolder): Promise<PlanLanguageClient | undefined> {
    return this.get(folder).start();
  }

  async restartAll(): Promise<void> {
    this.errorShown = false;
    const folders = this.all().map((s) => s.folder);
    const targets = folders.length > 0 ? folders : [...(vscode.workspace.workspaceFolders ?? [])];
    for (const f of folders) await this.get(f).stop();
    await Promise.all(targets.map((f) => this.get(f).start()));
    this.changed(undefined);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all().map((s) => s.stop()));
  }

  async resolveCommand(folder: vscode.WorkspaceFolder): Promise<Resolution | null> {
    const cfg = vscode.workspace.getConfiguration('planLs', folder.uri);
    const inspected = cfg.inspect('server.command');
    const explicit =
      inspected?.workspaceFolderValue !== undefined ||
      inspected?.workspaceValue !== undefined ||
      inspected?.globalValue !== undefined;
    const setting = cfg.get('server.command');
    const discovery = await discoverServer({
      setting: substituteVariables(setting, folder),
      explicit,
      envPath: process.env.PATH,
      isExecutable,
      python: async () => {
        const configured = vscode.workspace.getConfiguration('python', folder.uri).get<string>('defaultInterpreterPath');
        const choice = await workspacePython({
          api: () => PythonExtension.api(),
          resource: folder.uri,
          defaultInterpreterPath: configured ? (substituteVariables(configured, folder) as string) : undefined,
          folderPath: folder.uri.fsPath,
          isExecutable,
          log: (line) => this.log(`[${folder.name}] ${line}`),
        });
        this.log(`[${folder.name}] workspace Python: ${choice.python} (${choice.via})`);
        return choice;
      },
      hasModule,
    });
    const resolution = discovery.resolution;
    if (!resolution) {
      this.log(
        `[${folder.name}] no plan-ls server found: ${discovery.why} ` +
          `(setting: ${JSON.stringify(setting)}, python: ${discovery.python?.python ?? 'not asked'})`,
      );
    }
    return resolution;
  }

  /** One message, however many folders fail, until the next restart. */
  startFailed(folder: vscode.WorkspaceFolder, why: 'notFound' | 'crashed', again = false): void {
    this.changed(undefined);
    if (this.errorShown && !again) return;
    // a command the user runs on a folder without a server says so again, unless the message
    // was shown a moment ago (by the very start attempt that command made)
    if (again && Date.now() - this.errorShownAt < 3000) return;
    this.errorShown = true;
    this.errorShownAt = Date.now();
    const message =
      why === 'notFound'
        ? 'Plan: the plan-ls language server is not installed. Install it with `pip install plan-ls` ' +
          '(in the Python environment of this workspace), or set "planLs.server.command" to how it is started.'
        : `Plan: the plan-ls language server for "${folder.name}" stopped or could not start. ` +
          'Check that `pip install plan-ls` succeeded and that "planLs.server.command" is right; the log has the details.';
    const openSetting = 'Open setting';
    const showLog = 'Show log';
    void vscode.window.showErrorMessage(message, openSetting, showLog).then((choice) => {
      if (choice === openSetting) {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'planLs.server.command');
      } else if (choice === showLog) {
        this.output.show(true);
      }
    });
  }

  /** Register each server command id once, routed to the server of the folder it concerns. */
  registerServerCommands(ids: string[]): void {
    for (const id of ids) {
      if (this.registered.has(id)) continue;
      this.registered.add(id);
      try {
        this.disposables.push(
          vscode.commands.registerCommand(id, (...args: unknown[]) => this.routeServerCommand(id, args)),
        );
      } catch (e) {
        this.log(`cannot register ${id}: ${String(e)}`);
      }
    }
  }

  markClientSide(id: string): void {
    this.registered.add(id);
  }

  private async routeServerCommand(id: string, args: unknown[]): Promise<unknown> {
    const first = args[0] as { uri?: string; root?: string } | undefined;
    let folder: vscode.WorkspaceFolder | undefined;
    const target = first?.uri ?? first?.root;
    if (typeof target === 'string') {
      const uri = target.includes('://') ? vscode.Uri.parse(target) : vscode.Uri.file(target);
      folder = vscode.workspace.getWorkspaceFolder(uri);
    }
    folder = folder ?? activeFolder();
    if (!folder) return undefined;
    return this.execute(folder, id, args, { quiet: false });
  }

  /**
   * workspace/executeCommand on a folder's server, with a clear message when the server does not
   * offer the command or answers with an error. `title` makes it a cancellable long run.
   */
  async execute(
    folder: vscode.WorkspaceFolder,
    command: string,
    args: unknown[],
    opts: { title?: string; quiet?: boolean } = {},
  ): Promise<unknown> {
    const client = await this.clientFor(folder);
    if (!client) {
      this.startFailed(folder, this.get(folder).failedWhy, true);
      return undefined;
    }
    const offered = client.serverCommands();
    if (!offered.includes(command)) {
      const version = client.initializeResult?.serverInfo?.version;
      void vscode.window.showErrorMessage(
        `Plan: this plan-ls server${version ? ` (${version})` : ''} does not offer the command "${command}" yet. ` +
          'Update plan-ls (`pip install -U plan-ls`) and run "Plan: Restart server".',
      );
      return undefined;
    }
    const cts = new vscode.CancellationTokenSource();
    const request = client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, cts.token);
    if (!opts.title) {
      try {
        return await request;
      } catch (e) {
        return this.reportFailure(folder, command, opts.title, e);
      } finally {
        cts.dispose();
      }
    }
    // A long command: the status bar spins while it runs. The server normally shows its own
    // cancellable progress; if it has not within a moment, show one here whose Cancel cancels
    // the request ($/cancelRequest).
    const part = busy.enter();
    const begunBefore = serverProgress.begun;
    let settled = false;
    const title = opts.title;
    const timer = setTimeout(() => {
      if (settled || serverProgress.begun > begunBefore) return;
      void vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        (_progress, token) => {
          token.onCancellationRequested(() => cts.cancel());
          return request.then(
            () => undefined,
            () => undefined,
          );
        },
      );
    }, 1500);
    try {
      return await request;
    } catch (e) {
      return this.reportFailure(folder, command, opts.title, e);
    } finally {
      settled = true;
      clearTimeout(timer);
      part.dispose();
      cts.dispose();
    }
  }

  /** One message for a failed command; a cancelled one is only noted. */
  private reportFailure(folder: vscode.WorkspaceFolder, command: string, title: string | undefined, e: unknown): undefined {
    if (e instanceof ResponseError && e.code === -32800) {
      void vscode.window.showInformationMessage(`Plan: ${title ?? command} was cancelled.`);
      return undefined;
    }
    const message = e instanceof Error ? e.message : String(e);
    this.log(`[${folder.name}] ${command} failed: ${message}`);
    void vscode.window.showErrorMessage(`Plan: ${command} failed: ${message}`);
    return undefined;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.output.dispose();
    this.emitter.dispose();
  }
}

/** The workspace folder of the active editor, or the only folder, or undefined. */
export function activeFolder(): vscode.WorkspaceFolder | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc) {
    const f = vscode.workspace.getWorkspaceFolder(doc.uri);
    if (f) return f;
  }
  const folders = vscode.workspace.workspaceFolders ?? [];
  return folders.length >= 1 ? folders[0] : undefined;
}

function substituteVariables(value: unknown, folder: vscode.WorkspaceFolder): unknown {
  const sub = (s: string) => s.replace(/\$\{workspaceFolder\}/g, folder.uri.fsPath).replace(/^~(?=\/)/, process.env.HOME ?? '~');
  if (typeof value === 'string') return sub(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? sub(v) : v));
  return value;
}

function hasModule(python: string, module: string): Promise<boolean> {
  return new Promise((resolve) => {
    cp.execFile(python, ['-c', `import ${module}`], { timeout: 15_000 }, (err) => resolve(!err));
  });
}
