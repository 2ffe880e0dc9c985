// The Plan view's model: steps with their progress, and under each step its todo items.
// Built from the result of the planLs.status command (1-based lines).
import { planLabel } from './statusText';
import type { PlanProgress, PlanStatus, Progress, TodoItem } from './types';

export type StepState = 'done' | 'partial' | 'open' | 'empty';

export interface ItemNode {
  kind: 'item';
  id: string;
  label: string;
  done: boolean;
  /** 1-based line in the todo file */
  line: number;
  path: string | null;
  step: string | null;
  claimedBy: string | null;
}

export interface StepNode {
  kind: 'step';
  id: string;
  number: string;
  label: string;
  description: string;
  state: StepState;
  /** 1-based line in the plan file */
  line: number;
  path: string | null;
  claimedBy: string | null;
  children: ItemNode[];
}

export interface GroupNode {
  kind: 'group';
  id: string;
  label: string;
  description: string;
  children: ItemNode[];
}

export type TreeNode = StepNode | GroupNode | ItemNode;

const CLAIM = /\(@([^)\s]+)\)/;

export function claimOf(text: string): string | null {
  const m = CLAIM.exec(text);
  return m ? m[1] : null;
}

function itemNode(item: TodoItem, path: string | null): ItemNode {
  return {
    kind: 'item',
    id: `item:${item.line}`,
    // the claim is shown on its own (description), so the label drops a trailing "(@name)"
    label: item.text.replace(/\s*\(@[^)\s]+\)\s*$/, '').trim() || '(empty item)',
    done: !!item.done,
    line: item.line,
    path,
    step: item.step == null ? null : String(item.step),
    claimedBy: item.claim ?? claimOf(item.text),
  };
}

export function stepState(done: number, total: number): StepState {
  if (total <= 0) return 'empty';
  if (done >= total) return 'done';
  if (done > 0) return 'partial';
  return 'open';
}

/** Top-level nodes of the Plan view. */
export function buildPlanTree(status: PlanStatus | null | undefined): TreeNode[] {
  if (!status) return [];
  const todoPath = status.todo?.path ?? null;
  const planPath = status.plan?.path ?? null;
  const items = (status.todo?.items ?? []).map((i) => itemNode(i, todoPath));
  const steps = status.plan?.steps ?? [];
  const byStep = new Map<string, ItemNode[]>();
  for (const it of items) {
    if (it.step === null) continue;
    const list = byStep.get(it.step) ?? [];
    list.push(it);
    byStep.set(it.step, list);
  }
  const known = new Set<string>();
  const nodes: TreeNode[] = [];
  steps.forEach((s, index) => {
    const number = String(s.number);
    const children = known.has(number) ? [] : byStep.get(number) ?? [];
    known.add(number);
    const total = s.todo_total ?? children.length;
    const done = s.todo_done ?? children.filter((c) => c.done).length;
    nodes.push({
      kind: 'step',
      id: `step:${index}:${number}`,
      number,
      label: s.title ? `Step ${number}: ${s.title}` : `Step ${number}`,
      description: total > 0 ? `${done}/${total}` : 'no todo items',
      state: stepState(done, total),
      line: s.line,
      path: planPath,
      claimedBy: s.claim ?? claimOf(s.title ?? ''),
      children,
    });
  });
  const orphans = items.filter((i) => i.step === null || !known.has(i.step));
  if (orphans.length > 0) {
    const done = orphans.filter((o) => o.done).length;
    nodes.push({
      kind: 'group',
      id: 'group:unlinked',
      label: steps.length > 0 ? 'Not linked to a step' : 'Todo items',
      description: `${done}/${orphans.length}`,
      children: orphans,
    });
  }
  return nodes;
}

/** One node per plan when the workspace has several: label, description, id. */
export interface PlanNodeInfo {
  id: string;
  label: string;
  description: string;
  primary: boolean;
  plan: PlanProgress;
}

/** The Plan view's plan nodes, from planLs/progress; none when there is only one plan (then
 * the view shows that plan's steps at the top, as before there were several). */
export function planNodes(progress: Progress | undefined): PlanNodeInfo[] {
  const plans = progress?.plans ?? [];
  if (plans.length < 2) return [];
  return plans.map((plan, index) => ({
    id: `plan:${plan.id}`,
    label: planLabel(plan),
    description: [plan.format, `${plan.done ?? 0}/${plan.total ?? 0}`, plan.archived ? 'archived' : '']
      .filter(Boolean)
      .join(' · '),
    primary: index === 0 && plan.id === '.',
    plan,
  }));
}

/** The step whose section holds a 1-based line of the plan file, if any. */
export function stepAtLine(status: PlanStatus | null | undefined, line1: number): string | null {
  const steps = [...(status?.plan?.steps ?? [])].sort((a, b) => a.line - b.line);
  let found: string | null = null;
  for (const s of steps) {
    if (s.line <= line1) found = String(s.number);
    else break;
  }
  return found;
}
