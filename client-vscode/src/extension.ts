// Entry point of the Plan extension: starts a plan-ls server for each workspace folder that
// holds planning files, and wires the status bar, the Plan view and the palette commands.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { statusViewFor } from './logic/statusText';
import { PlanView } from './planView';
import { busy } from './progressUi';
import { activeFolder, FileKey, fileUri, Servers } from './servers';

let servers: Servers | undefined;

const KEYS: FileKey[] = ['todo', 'plan', 'spec', 'interview'];
// where the spec-driven tools keep their plans (the server finds the plans inside)
const PLAN_FOLDERS = ['specs', path.join('docs', 'specs'), path.join('.kiro', 'specs'), path.join('openspec', 'changes')];
const TASK_FILES = new Set(['tasks.md', 'requirements.md']);

function hasPlanFiles(folder: vscode.WorkspaceFolder): boolean {
  const exists = (p: string, dir: boolean) => {
    try {
      const st = fs.statSync(p);
      return dir ? st.isDirectory() : st.isFile();
    } catch {
      return false;
    }
  };
  return KEYS.some((k) => exists(fileUri(folder, k).fsPath, false)) ||
    PLAN_FOLDERS.some((d) => exists(path.join(folder.uri.fsPath, d), true));
}

function isPlanFile(doc: vscode.TextDocument): vscode.WorkspaceFolder | undefined {
  if (doc.uri.scheme !== 'file' || doc.languageId !== 'markdown') return undefined;
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  if (!folder) return undefined;
  const p = path.normalize(doc.uri.fsPath);
  if (TASK_FILES.has(path.basename(p))) return folder; // a spec-kit, Kiro or OpenSpec plan
  return KEYS.some((k) => path.normalize(fileUri(folder, k).fsPath) === p) ? folder : undefined;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const s = new Servers(context.secrets);
  servers = s;
  context.subscriptions.push(s);
  registerCommands(context, s);

  // Plan view
  const view = new PlanView(s);
  context.subscriptions.push(vscode.window.createTreeView('planLs.plan', { treeDataProvider: view, showCollapseAll: true }));

  // status bar
  const item = vscode.window.createStatusBarItem('planLs.progress', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Plan progress';
  context.subscriptions.push(item);
  const paint = () => {
    const folder = activeFolder();
    const candidates = s.all().filter((f) => f.running || f.progress);
    if (candidates.length === 0 && busy.value === 0) {
      item.hide();
      return;
    }
    const server = (folder && s.peek(folder)?.progress ? s.peek(folder) : undefined) ?? candidates.find((c) => c.progress) ?? candidates[0];
    const v = statusViewFor(server?.progress, vscode.window.activeTextEditor?.document.uri.toString(), busy.value);
    item.text = v.text;
    item.tooltip = v.tooltip;
    item.command = v.hasNext ? 'plan.nextStep' : 'plan.showStatus';
    item.show();
  };
  context.subscriptions.push(
    s.onDidChange(paint),
    busy.onDidChange(paint),
    vscode.window.onDidChangeActiveTextEditor(paint),
  );

  // which folders get a server: those with planning files now, and any whose planning file is
  // opened later (or on which a Plan command runs)
  const startIfPlanned = (folder: vscode.WorkspaceFolder) => {
    if (hasPlanFiles(folder)) void s.get(folder).start();
  };
  for (const folder of vscode.workspace.workspaceFolders ?? []) startIfPlanned(folder);
  const onDoc = (doc: vscode.TextDocument) => {
    const folder = isPlanFile(doc);
    if (folder && !s.peek(folder)) void s.get(folder).start();
  };
  vscode.workspace.textDocuments.forEach(onDoc);
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(onDoc),
    vscode.workspace.onDidChangeWorkspaceFolders(async (e) => {
      for (const f of e.removed) await s.remove(f);
      for (const f of e.added) startIfPlanned(f);
    }),
    // trusted now: the workspace's own run.agent and run.test may be sent (logic/settings.ts)
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      s.log('the workspace is trusted now: restarting with its settings');
      await s.restartAll();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('planLs.server.command') || e.affectsConfiguration('planLs.llm.apiKeyEnv')) {
        s.log('settings that change how the server starts were edited: restarting');
        await s.restartAll();
      }
    }),
  );
  paint();
}

export async function deactivate(): Promise<void> {
  await servers?.stopAll();
}
