// The Plan view in the Explorer: steps with progress, and their todo items.
import * as path from 'path';
import * as vscode from 'vscode';
import { buildPlanTree, ItemNode, PlanNodeInfo, planNodes, StepNode, TreeNode } from './logic/planTree';
import { FolderServer, Servers } from './servers';

export interface FolderNode {
  kind: 'folder';
  server: FolderServer;
}

/** One plan of a folder that holds several. */
export interface PlanNode {
  kind: 'plan';
  server: FolderServer;
  info: PlanNodeInfo;
}

/** A tree node together with the folder it belongs to. */
export type ViewNode = FolderNode | PlanNode | { kind: 'node'; server: FolderServer; node: TreeNode };

export class PlanView implements vscode.TreeDataProvider<ViewNode> {
  private readonly emitter = new vscode.EventEmitter<ViewNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly servers: Servers) {
    servers.onDidChange(() => this.emitter.fire(undefined));
  }

  getChildren(element?: ViewNode): ViewNode[] {
    if (!element) {
      const servers = this.servers.all().filter((s) => s.status || s.running);
      if (servers.length === 1) return this.nodesOf(servers[0]);
      return servers.map((server) => ({ kind: 'folder', server }));
    }
    if (element.kind === 'folder') return this.nodesOf(element.server);
    if (element.kind === 'plan') return element.info.primary ? this.stepsOf(element.server) : [];
    const node = element.node;
    if (node.kind === 'step' || node.kind === 'group') {
      return node.children.map((child) => ({ kind: 'node', server: element.server, node: child }));
    }
    return [];
  }

  private nodesOf(server: FolderServer): ViewNode[] {
    const plans = planNodes(server.progress);
    if (plans.length > 0) return plans.map((info) => ({ kind: 'plan', server, info }));
    return this.stepsOf(server);
  }

  private stepsOf(server: FolderServer): ViewNode[] {
    return buildPlanTree(server.status).map((node) => ({ kind: 'node', server, node }));
  }

  getTreeItem(element: ViewNode): vscode.TreeItem {
    const folderKey = element.server.folder.uri.toString();
    if (element.kind === 'folder') {
      // counts from the same planLs.status answer as the steps below, so they never disagree
      const todo = element.server.status?.todo;
      const p = todo ? { done: todo.done ?? 0, total: todo.total ?? 0 } : element.server.progress;
      const item = new vscode.TreeItem(element.server.folder.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `${folderKey}#folder`;
      item.description = p ? `${p.done}/${p.total}` : undefined;
      item.iconPath = vscode.ThemeIcon.Folder;
      return item;
    }
    if (element.kind === 'plan') return planTreeItem(element.info, element.server, folderKey);
    const node = element.node;
    if (node.kind === 'item') return itemTreeItem(node, element.server, folderKey);
    const item = new vscode.TreeItem(
      node.label,
      node.children.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = `${folderKey}#${node.id}`;
    item.description = node.description;
    if (node.kind === 'step') {
      const next = element.server.progress?.nextStep ?? element.server.status?.next_step;
      if (next && String(next.number) === node.number) {
        item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
        item.description = `${node.description} · next`;
      }
      item.iconPath = stepIcon(node);
      item.contextValue = node.state === 'done' ? 'planStep.done' : 'planStep.open';
      if (node.claimedBy) item.description = `${item.description} · @${node.claimedBy}`;
      item.tooltip = `${node.label}\n${node.description}${node.claimedBy ? `\nclaimed by @${node.claimedBy}` : ''}`;
      if (node.path) item.command = revealCommand(element.server, node.path, node.line, 'Open the step');
    } else {
      item.iconPath = new vscode.ThemeIcon('question');
      item.tooltip = 'Todo items that name no step of the plan';
    }
    return item;
  }
}

function stepIcon(node: StepNode): vscode.ThemeIcon {
  switch (node.state) {
    case 'done':
      return new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'));
    case 'partial':
      return new vscode.ThemeIcon('circle-large-filled', new vscode.ThemeColor('charts.yellow'));
    case 'empty':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    default:
      return new vscode.ThemeIcon('circle-large-outline');
  }
}

function planTreeItem(info: PlanNodeInfo, server: FolderServer, folderKey: string): vscode.TreeItem {
  const item = new vscode.TreeItem(
    info.label,
    info.primary ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
  );
  item.id = `${folderKey}#${info.id}`;
  item.description = info.description;
  item.iconPath = new vscode.ThemeIcon(info.plan.done >= info.plan.total && info.plan.total > 0 ? 'pass-filled' : 'checklist');
  item.contextValue = 'plan';
  const next = info.plan.nextStep;
  item.tooltip = `${info.plan.id === '.' ? 'The plan at the root' : info.plan.id} (${info.plan.format})\n` +
    `${info.plan.done}/${info.plan.total} done${next ? `\nNext: ${next.number}${next.title ? ` — ${next.title}` : ''}` : ''}`;
  const file = info.plan.files?.[0];
  if (!info.primary && file) item.command = revealCommand(server, file, 1, 'Open the plan');
  return item;
}

function itemTreeItem(node: ItemNode, server: FolderServer, folderKey: string): vscode.TreeItem {
  const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
  item.id = `${folderKey}#${node.id}`;
  item.iconPath = node.done
    ? new vscode.ThemeIcon('check', new vscode.ThemeColor('testing.iconPassed'))
    : new vscode.ThemeIcon('circle-large-outline');
  item.description = [node.done ? 'done' : 'open', node.claimedBy ? `@${node.claimedBy}` : '']
    .filter(Boolean)
    .join(' · ');
  item.contextValue = node.done ? 'todoItem.done' : 'todoItem.open';
  item.tooltip = `${node.done ? '[x]' : '[ ]'} ${node.label}${node.step ? `\nStep ${node.step}` : ''}\nLine ${node.line}`;
  if (node.path) item.command = revealCommand(server, node.path, node.line, 'Open the item');
  return item;
}

function revealCommand(server: FolderServer, file: string, line1: number, title: string): vscode.Command {
  return { command: 'plan.view.reveal', title, arguments: [toUri(server, file), line1] };
}

export function toUri(server: FolderServer, file: string): vscode.Uri {
  if (file.includes('://')) return vscode.Uri.parse(file);
  return path.isAbsolute(file) ? vscode.Uri.file(file) : vscode.Uri.joinPath(server.folder.uri, file);
}

/** Open a file with the cursor at the start of a 1-based line. */
export async function revealLine(uri: vscode.Uri, line1: number): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const line = Math.max(0, Math.min(doc.lineCount - 1, line1 - 1));
  const pos = new vscode.Position(line, 0);
  const editor = await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preview: false });
  editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return editor;
}
