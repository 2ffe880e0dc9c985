// The status-bar item's text and tooltip, from the planLs/progress notification; the summary
// that "Plan: Show status" shows, from planLs.status.
import type { PlanProgress, PlanStatus, Progress } from './types';

export interface StatusView {
  text: string;
  tooltip: string;
  /** true when a click has a next step to open */
  hasNext: boolean;
}

/** A plan's name for people: its folder's name, the format's for a plan at the root. */
export function planLabel(plan: PlanProgress): string {
  if (plan.id === '.' || !plan.id) return 'Prompt plan';
  return plan.name || plan.id.split('/').pop() || plan.id;
}

function comparable(uri: string): string {
  let s = uri;
  try {
    s = decodeURIComponent(uri);
  } catch {
    // not percent-encoded as a URI: compare as it is
  }
  // "file:///c:/x" and "file:///C:/x" are one file
  return s.replace(/^file:\/\/\/([A-Za-z]):/, (_m, d: string) => `file:///${d.toLowerCase()}:`);
}

/**
 * The plan a document belongs to (by its URI, among the files planLs/progress lists), or
 * undefined when it is no plan's file. With several plans, the status bar shows this one.
 */
export function planOfDocument(progress: Progress | undefined, uri: string | undefined): PlanProgress | undefined {
  if (!progress?.plans || !uri) return undefined;
  const want = comparable(uri);
  return progress.plans.find((p) => (p.files ?? []).some((f) => comparable(f) === want));
}

/**
 * The status bar for the plan of the active editor: the top-level (primary) plan's progress,
 * or, when the active document is another plan's file, that plan's, named.
 */
export function statusViewFor(progress: Progress | undefined, activeUri: string | undefined, busy = 0): StatusView {
  const plan = planOfDocument(progress, activeUri);
  const plans = progress?.plans ?? [];
  if (!plan || (plans.length > 0 && plan === plans[0] && plan.id === '.')) return statusView(progress, busy);
  const v = statusView(plan, busy);
  const label = planLabel(plan);
  const spin = busy > 0 ? '$(sync~spin) ' : '';
  return {
    text: `${spin}${label} ${v.text.slice(spin.length)}`,
    tooltip: `${label} (${plan.format}${plan.archived ? ', archived' : ''})\n${v.tooltip}`,
    hasNext: false, // "Next step" opens the primary plan's step
  };
}

export function statusView(progress: Progress | undefined, busy = 0): StatusView {
  const spin = busy > 0 ? '$(sync~spin) ' : '';
  const busyNote = busy > 0 ? '\nA generation is running (its notification has Cancel).' : '';
  if (!progress) {
    return { text: `${spin}✓ …`, tooltip: `Plan: waiting for the plan-ls server.${busyNote}`, hasNext: false };
  }
  const done = Math.max(0, Math.trunc(progress.done || 0));
  const total = Math.max(0, Math.trunc(progress.total || 0));
  const next = progress.nextStep;
  let text = `${spin}✓ ${done}/${total}`;
  let tooltip = `Plan: ${done} of ${total} todo item${total === 1 ? '' : 's'} done.`;
  if (next) {
    text += ` · Step ${next.number}`;
    tooltip += `\nNext: Step ${next.number}${next.title ? ` — ${next.title}` : ''}. Click to open it.`;
  } else if (total > 0 && done >= total) {
    text += ' · all done';
    tooltip += '\nEvery step is done.';
  } else if (total === 0) {
    tooltip = 'Plan: no todo items yet.';
  }
  if (progress.mergeDriver === 'attributes' || progress.mergeDriver === 'config') {
    tooltip += '\nGit merges of the plan lack the plan-ls merge driver (neighbouring ticks conflict): run `plan-ls init --git`.';
  }
  return { text, tooltip: tooltip + busyNote, hasNext: !!next };
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() || p;
}

/**
 * The parts of the "Plan: Show status" message: todo counts, steps, drift. A planning file that
 * cannot be read is named with its reason, and then the drift is unknown rather than "no drift".
 */
export function statusSummary(status: PlanStatus): string[] {
  const todo = status.todo;
  const steps = status.plan?.steps ?? [];
  const unreadable = status.unreadable ?? [];
  const doneSteps = steps.filter((s) => s.todo_total > 0 && s.todo_done >= s.todo_total).length;
  const drift = status.diagnostics?.length ?? 0;
  const parts = unreadable.map((u) => {
    // the reason often starts with the file's full path: the part names the file already
    const reason = u.reason.startsWith(`${u.path}: `) ? u.reason.slice(u.path.length + 2) : u.reason;
    return `cannot read ${baseName(u.path)}: ${reason}`;
  });
  if (todo?.path) parts.push(`${todo.done ?? 0}/${todo.total ?? 0} todo items done`);
  else if (unreadable.length === 0) parts.push('no todo file'); // (else it may be the one named above)
  parts.push(`${doneSteps}/${steps.length} steps done`);
  if (drift) parts.push(`${drift} drift warning${drift === 1 ? '' : 's'} (see Problems)`);
  else parts.push(unreadable.length ? 'drift unknown' : 'no drift');
  return parts;
}
