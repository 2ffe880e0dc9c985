// Shapes of what the plan-ls server sends. Lines in PlanStatus are 1-based (as in
// `plan-ls status --json`); LSP positions elsewhere are 0-based.

export interface TodoItem {
  line: number;
  text: string;
  done: boolean;
  step: string | null;
  /** who claimed the item, when the server reports it */
  claim?: string | null;
}

export interface PlanStep {
  number: string | number;
  title: string;
  line: number;
  todo_total: number;
  todo_done: number;
  claim?: string | null;
}

export interface Diagnostic {
  path: string;
  line: number;
  severity: string;
  message: string;
}

export interface PlanStatus {
  todo?: { path?: string | null; total?: number; done?: number; items?: TodoItem[] } | null;
  plan?: { path?: string | null; steps?: PlanStep[] } | null;
  diagnostics?: Diagnostic[] | null;
  next_step?: { number: string | number; title: string } | null;
  /** planning files that exist but cannot be read (binary, too large) */
  unreadable?: { path: string; reason: string }[] | null;
}

/** One plan of the workspace, as planLs/progress lists it (`plans`). */
export interface PlanProgress {
  /** the plan's folder relative to the workspace root, "." for the root's plan */
  id: string;
  /** "prompt_plan" | "spec-kit" | "kiro" | "openspec" */
  format: string;
  /** the folder's name ("" for the root's plan) */
  name?: string;
  done: number;
  total: number;
  nextStep: { number: string | number; title: string } | null;
  /** URIs of the plan's files */
  files?: string[];
  archived?: boolean;
}

export interface Progress {
  done: number;
  total: number;
  nextStep: { number: string | number; title: string } | null;
  files?: string[];
  /** whether git merges the plan with plan-ls's merge driver (null: not in git) */
  mergeDriver?: 'ok' | 'attributes' | 'config' | null;
  /** every plan of the workspace, the primary (the top-level fields) first */
  plans?: PlanProgress[];
}

export interface NextStep {
  number: string | number;
  title: string;
  prompt?: string;
  uri?: string;
  line?: number;
}
