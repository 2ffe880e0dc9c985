// The status-bar item's text and tooltip, from the planLs/progress notification.
import type { Progress } from './types';

export interface StatusView {
  text: string;
  tooltip: string;
  /** true when a click has a next step to open */
  hasNext: boolean;
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
  return { text, tooltip: tooltip + busyNote, hasNext: !!next };
}
