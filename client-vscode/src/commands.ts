// The palette commands (category "Plan"). Their ids start with `plan.` so they never collide
// with the server's own `planLs.*` command ids.
import * as path from 'path';
import * as vscode from 'vscode';
import type { ItemNode, StepNode } from './logic/planTree';
import { stepAtLine } from './logic/planTree';
import { statusSummary } from './logic/statusText';
import { selectedLines, stepPrompt } from './logic/text';
import type { NextStep, PlanStatus } from './logic/types';
import { revealLine, toUri, ViewNode } from './planView';
import { activeFolder, FileKey, fileSetting, fileUri, SECRET_KEY, Servers } from './servers';

type Handler = (...args: unknown[]) => unknown;

type Run = (folder: vscode.WorkspaceFolder, command: string, arg: object, title?: string) => Promise<unknown>;

/** What every group of commands registers with: `reg` adds a command, `run` executes a server one. */
interface Ctx {
  context: vscode.ExtensionContext;
  servers: Servers;
  reg: (id: string, fn: Handler) => void;
  run: Run;
}

/** Registers every palette command and the Plan view's actions, group by group. */
export function registerCommands(context: vscode.ExtensionContext, servers: Servers): void {
  const reg = (id: string, fn: Handler) => {
    context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  };
  const run: Run = (folder, command, arg, title) => servers.execute(folder, command, [arg], { title });
  const c: Ctx = { context, servers, reg, run };
  registerCheckOff(c);
  registerSteps(c);
  registerClaims(c);
  registerGeneration(c);
  registerExistingCode(c);
  registerStatusServerKey(c);
  registerViewActions(c);
  registerClientSide(c);
  registerRun(c);
}

/** A step run with the coding agent (the server's progress has the Cancel), and its log. */
function registerRun({ reg, run }: Ctx): void {
  reg('plan.runStep', async () => {
    const folder = await pickFolder();
    if (!folder) return;
    await run(folder, 'planLs.runStep', {}, 'Plan: running the next step with the agent');
  });
  reg('plan.showRunLog', async () => {
    const folder = await pickFolder();
    if (!folder) return;
    const log = (await run(folder, 'planLs.runLog', {})) as { uri: string | null } | undefined;
    if (log === undefined) return;
    if (!log.uri) {
      void vscode.window.showInformationMessage('Plan: no step has run with an agent in this folder yet.');
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.parse(log.uri), { preview: true });
  });
}

/** Checking items off: the cursor's lines, or a chosen step. */
function registerCheckOff({ servers, reg, run }: Ctx): void {
  const markLines = async (command: string) => {
    const editor = vscode.window.activeTextEditor;
    const folder = editor && vscode.workspace.getWorkspaceFolder(editor.document.uri);
    if (!editor || !folder) {
      void vscode.window.showWarningMessage('Plan: open the todo file and put the cursor on an item (or select items) first.');
      return;
    }
    await run(folder, command, { uri: editor.document.uri.toString(), lines: selectedLines(editor.selections) });
  };
  reg('plan.markDone', () => markLines('planLs.markDone'));
  reg('plan.markNotDone', () => markLines('planLs.markNotDone'));

  reg('plan.markStepDone', async () => {
    const folder = await pickFolder();
    if (!folder) return;
    const status = await statusOf(servers, folder);
    const step = await pickStep(status, 'Mark every todo item of which step done?', { openOnly: true });
    if (step === undefined) return;
    await run(folder, 'planLs.markDone', { uri: fileUri(folder, 'todo').toString(), step });
  });
}

/** The next step, a step's prompt to the clipboard or into the editor. */
function registerSteps({ servers, reg, run }: Ctx): void {
  reg('plan.nextStep', async () => {
    const folder = await pickFolder();
    if (!folder) return;
    const next = (await run(folder, 'planLs.nextStep', {})) as NextStep | null | undefined;
    if (next === undefined) return;
    if (next === null) {
      void vscode.window.showInformationMessage('Plan: every step is done (or claimed by someone else).');
      return;
    }
    const uri = next.uri ? vscode.Uri.parse(next.uri) : fileUri(folder, 'plan');
    await revealLine(uri, (next.line ?? 0) + 1);
  });

  reg('plan.copyStepPrompt', async () => {
    const folder = await pickFolder();
    if (!folder) return;
    const prompt = await promptOfChosenStep(servers, folder, 'Copy the prompt of which step?');
    if (!prompt) return;
    await vscode.env.clipboard.writeText(prompt.text);
    void vscode.window.showInformationMessage(`Plan: copied the prompt of Step ${prompt.step} to the clipboard.`);
  });

  reg('plan.insertPrompt', async () => {
    const editor = vscode.window.activeTextEditor;
    const folder = editor && vscode.workspace.getWorkspaceFolder(editor.document.uri);
    if (!editor || !folder) {
      void vscode.window.showWarningMessage('Plan: put the cursor where the prompt should go first.');
      return;
    }
    const status = await statusOf(servers, folder);
    type Pick = vscode.QuickPickItem & { step?: string; template?: boolean };
    const picks: Pick[] = (status?.plan?.steps ?? []).map((s) => ({
      label: `Step ${s.number}`,
      description: s.title,
      detail: s.todo_total > 0 ? `${s.todo_done}/${s.todo_total} done` : undefined,
      step: String(s.number),
    }));
    picks.push({ label: 'A prompt template…', description: 'by name, from the workflow or .plan-ls/prompts/', template: true });
    const choice = await vscode.window.showQuickPick(picks, { placeHolder: 'Insert which prompt at the cursor?' });
    if (!choice) return;
    const arg: Record<string, unknown> = {
      uri: editor.document.uri.toString(),
      position: { line: editor.selection.active.line, character: editor.selection.active.character },
    };
    if (choice.template) {
      const name = await vscode.window.showInputBox({ prompt: 'Template name (for example code-review)' });
      if (!name) return;
      arg.template = name.trim();
    } else {
      arg.step = choice.step;
    }
    await run(folder, 'planLs.insertPrompt', arg);
  });
}

/** Claiming the item or step under the cursor, and releasing it. */
function registerClaims({ reg, run }: Ctx): void {
  const claim = async (command: string) => {
    const editor = vscode.window.activeTextEditor;
    const folder = editor && vscode.workspace.getWorkspaceFolder(editor.document.uri);
    if (!editor || !folder) {
      void vscode.window.showWarningMessage('Plan: put the cursor on a todo item or a plan step first.');
      return;
    }
    await run(folder, command, { uri: editor.document.uri.toString(), line: editor.selection.active.line });
  };
  reg('plan.claim', () => claim('planLs.claim'));
  reg('plan.release', () => claim('planLs.release'));
}

/** The spec interview and the generated planning files. */
function registerGeneration({ reg, run }: Ctx): void {
  reg('plan.brainstorm', async () => {
    const editor = vscode.window.activeTextEditor;
    const folder = editor && vscode.workspace.getWorkspaceFolder(editor.document.uri);
    if (!editor || !folder || editor.selection.isEmpty) {
      void vscode.window.showWarningMessage('Plan: select the text that describes your idea first.');
      return;
    }
    const s = editor.selection;
    const range = { start: { line: s.start.line, character: s.start.character }, end: { line: s.end.line, character: s.end.character } };
    await run(folder, 'planLs.brainstorm', { uri: editor.document.uri.toString(), range }, 'Plan: starting the spec interview');
  });

  const onFile = async (key: FileKey, command: string, title: string, extra: object = {}) => {
    const folder = await pickFolder();
    if (!folder) return;
    const uri = activeFileOr(folder, key);
    await run(folder, command, { uri: uri.toString(), ...extra }, title);
  };
  reg('plan.nextQuestion', () => onFile('interview', 'planLs.nextQuestion', 'Plan: asking the next question'));
  reg('plan.compileSpec', () => onFile('interview', 'planLs.compileSpec', 'Plan: compiling spec.md'));
  reg('plan.generatePlanTdd', () =>
    onFile('spec', 'planLs.generatePlan', 'Plan: generating the prompt plan (test-driven)', { flavour: 'tdd' }),
  );
  reg('plan.generatePlanPlain', () =>
    onFile('spec', 'planLs.generatePlan', 'Plan: generating the prompt plan (plain)', { flavour: 'plain' }),
  );
  reg('plan.generateTodo', () => onFile('plan', 'planLs.generateTodo', 'Plan: generating todo.md'));
}

/** Existing codebases: pack, code review, issues, missing tests. */
function registerExistingCode({ servers, reg, run }: Ctx): void {
  reg('plan.pack', async () => {
    const folder = await pickFolder();
    if (!folder) return;
    const result = (await run(folder, 'planLs.pack', {}, 'Plan: packing the repository')) as
      | { path?: string; files?: number; tokens?: number; excluded?: unknown[] }
      | undefined;
    if (!result) return;
    const where = result.path ? path.basename(result.path) : 'the bundle';
    const open = 'Open';
    const choice = await vscode.window.showInformationMessage(
      `Plan: packed ${result.files ?? '?'} files (${result.tokens ?? '?'} tokens) into ${where}` +
        (result.excluded?.length ? `; ${result.excluded.length} excluded.` : '.'),
      ...(result.path ? [open] : []),
    );
    if (choice === open && result.path) await revealLine(toUri(servers.get(folder), result.path), 1);
  });
  const answer = (command: string, title: string) => async () => {
    const folder = await pickFolder();
    if (!folder) return;
    const result = (await run(folder, command, {}, title)) as { path?: string; uri?: string } | string | null | undefined;
    const file = typeof result === 'string' ? result : result?.uri ?? result?.path;
    if (file) await revealLine(toUri(servers.get(folder), file), 1);
  };
  reg('plan.review', answer('planLs.review', 'Plan: generating a code review'));
  reg('plan.issues', answer('planLs.issues', 'Plan: generating issues'));
  reg('plan.missingTests', answer('planLs.missingTests', 'Plan: generating missing tests'));
}

/** Status, restarting the server, its log, the API key. */
function registerStatusServerKey({ context, servers, reg }: Ctx): void {
  reg('plan.showStatus', async () => {
    const folder = await pickFolder();
    if (!folder) return;
    const status = await statusOf(servers, folder, true);
    if (!status) return;
    void vscode.commands.executeCommand('planLs.plan.focus');
    const parts = statusSummary(status);
    const next = servers.get(folder).progress?.nextStep;
    const openNext = 'Open next step';
    const choice = await vscode.window.showInformationMessage(
      `Plan: ${parts.join(' · ')}${next ? ` · next: Step ${next.number} — ${next.title}` : ''}`,
      ...(next ? [openNext] : []),
    );
    if (choice === openNext) await vscode.commands.executeCommand('plan.nextStep');
  });

  reg('plan.restartServer', async () => {
    await servers.restartAll();
  });
  reg('plan.showLog', () => servers.output.show(true));

  reg('plan.setApiKey', async () => {
    const folder = activeFolder();
    const cfg = vscode.workspace.getConfiguration('planLs', folder?.uri);
    const envName = cfg.get<string>('llm.apiKeyEnv') || 'OPENAI_API_KEY';
    const key = await vscode.window.showInputBox({
      password: true,
      ignoreFocusOut: true,
      prompt: `API key for the LLM endpoint${cfg.get<string>('llm.baseUrl') ? ` (${cfg.get<string>('llm.baseUrl')})` : ''}. ` +
        `Kept in VS Code's secret storage and given to plan-ls as ${envName}; never written to settings.`,
    });
    if (key === undefined) return;
    if (key.trim() === '') await context.secrets.delete(SECRET_KEY);
    else await context.secrets.store(SECRET_KEY, key.trim());
    void vscode.window.showInformationMessage(`Plan: API key ${key.trim() ? 'stored' : 'removed'}; restarting the server.`);
    if (servers.all().length > 0) await servers.restartAll();
  });
  reg('plan.clearApiKey', async () => {
    await context.secrets.delete(SECRET_KEY);
    void vscode.window.showInformationMessage('Plan: API key removed; restarting the server.');
    if (servers.all().length > 0) await servers.restartAll();
  });
}

/** The Plan view's actions (hidden from the palette). */
function registerViewActions({ reg, run }: Ctx): void {
  reg('plan.view.reveal', async (uri, line) => {
    if (uri instanceof vscode.Uri && typeof line === 'number') await revealLine(uri, line);
  });
  const onItem = (command: string) => async (node: unknown) => {
    const item = viewItem(node);
    if (!item || !item.node.path) return;
    await run(item.server.folder, command, {
      uri: toUri(item.server, item.node.path).toString(),
      lines: [item.node.line - 1],
    });
  };
  reg('plan.view.markDone', onItem('planLs.markDone'));
  reg('plan.view.markNotDone', onItem('planLs.markNotDone'));
  const onItemClaim = (command: string) => async (node: unknown) => {
    const item = viewItem(node);
    if (!item || !item.node.path) return;
    await run(item.server.folder, command, { uri: toUri(item.server, item.node.path).toString(), line: item.node.line - 1 });
  };
  reg('plan.view.claim', onItemClaim('planLs.claim'));
  reg('plan.view.startTask', onItemClaim('planLs.startTask'));
  reg('plan.view.release', onItemClaim('planLs.release'));
  reg('plan.view.markStepDone', async (node: unknown) => {
    const v = node as ViewNode | undefined;
    if (!v || v.kind !== 'node' || v.node.kind !== 'step') return;
    const step = v.node as StepNode;
    // the file that holds the step's boxes: todo.md for the primary plan, tasks.md for the others
    const uri = step.todoPath ? toUri(v.server, step.todoPath) : fileUri(v.server.folder, 'todo');
    await run(v.server.folder, 'planLs.markDone', { uri: uri.toString(), step: step.number });
  });
}

/** The client-side command that the server's code lenses use. */
function registerClientSide({ servers, reg }: Ctx): void {
  servers.markClientSide('planLs.copyToClipboard');
  reg('planLs.copyToClipboard', async (arg) => {
    const text = typeof arg === 'string' ? arg : (arg as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string') return;
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage('$(clippy) Plan: copied to the clipboard', 3000);
  });
}

function viewItem(node: unknown): { server: import('./servers').FolderServer; node: ItemNode } | undefined {
  const v = node as ViewNode | undefined;
  if (!v || v.kind !== 'node' || v.node.kind !== 'item') return undefined;
  return { server: v.server, node: v.node };
}

async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folder = activeFolder();
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (vscode.window.activeTextEditor && folder) return folder;
  if (folders.length <= 1) {
    if (!folder) void vscode.window.showWarningMessage('Plan: open a folder first.');
    return folder;
  }
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which folder’s plan?' });
}

/** The active editor's file when it is the planning file of that kind, else the setting's path. */
function activeFileOr(folder: vscode.WorkspaceFolder, key: FileKey): vscode.Uri {
  const doc = vscode.window.activeTextEditor?.document;
  const wanted = fileUri(folder, key);
  if (doc && doc.uri.toString() === wanted.toString()) return doc.uri;
  if (doc && path.basename(doc.uri.fsPath) === path.basename(fileSetting(folder, key))) return doc.uri;
  return wanted;
}

async function statusOf(servers: Servers, folder: vscode.WorkspaceFolder, fresh = false): Promise<PlanStatus | undefined> {
  const server = servers.get(folder);
  if (!fresh && server.status) return server.status;
  const result = (await servers.execute(folder, 'planLs.status', [{}])) as PlanStatus | null | undefined;
  if (result) server.status = result;
  return result ?? undefined;
}

async function pickStep(
  status: PlanStatus | undefined,
  placeHolder: string,
  opts: { openOnly?: boolean; preselect?: string | null } = {},
): Promise<string | undefined> {
  const steps = status?.plan?.steps ?? [];
  if (steps.length === 0) {
    void vscode.window.showWarningMessage('Plan: the plan has no steps yet.');
    return undefined;
  }
  const items = steps
    .filter((s) => !opts.openOnly || !(s.todo_total > 0 && s.todo_done >= s.todo_total))
    .map((s) => ({
      label: `Step ${s.number}`,
      description: s.title,
      detail: s.todo_total > 0 ? `${s.todo_done}/${s.todo_total} done` : 'no todo items',
      picked: opts.preselect != null && String(s.number) === opts.preselect,
      step: String(s.number),
    }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('Plan: every step is done.');
    return undefined;
  }
  if (opts.preselect != null) items.sort((a, b) => Number(b.picked) - Number(a.picked));
  const choice = await vscode.window.showQuickPick(items, { placeHolder });
  return choice?.step;
}

async function promptOfChosenStep(
  servers: Servers,
  folder: vscode.WorkspaceFolder,
  placeHolder: string,
): Promise<{ step: string; text: string } | undefined> {
  const status = await statusOf(servers, folder, true);
  const editor = vscode.window.activeTextEditor;
  const planUri = fileUri(folder, 'plan');
  let preselect: string | null = servers.get(folder).progress?.nextStep ? String(servers.get(folder).progress?.nextStep?.number) : null;
  if (editor && editor.document.uri.toString() === planUri.toString()) {
    preselect = stepAtLine(status, editor.selection.active.line + 1) ?? preselect;
  }
  const step = await pickStep(status, placeHolder, { preselect });
  if (step === undefined) return undefined;
  const steps = [...(status?.plan?.steps ?? [])].sort((a, b) => a.line - b.line);
  const index = steps.findIndex((s) => String(s.number) === step);
  const planPath = status?.plan?.path;
  const uri = planPath ? toUri(servers.get(folder), planPath) : planUri;
  const doc = await vscode.workspace.openTextDocument(uri);
  const start = steps[index].line - 1;
  const end = index + 1 < steps.length ? steps[index + 1].line - 1 : -1;
  const text = stepPrompt(doc.getText(), start, end);
  if (!text) {
    void vscode.window.showWarningMessage(`Plan: Step ${step} has no prompt block (a fenced \`\`\`text block).`);
    return undefined;
  }
  return { step, text };
}

