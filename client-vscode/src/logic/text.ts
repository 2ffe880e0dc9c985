// Small text helpers with no editor in them.

export interface Pos { line: number; character: number }
export interface Sel { start: Pos; end: Pos }

/** The 0-based lines that a set of selections covers; a selection that ends at the very start
 * of a line does not take that line. */
export function selectedLines(selections: readonly Sel[]): number[] {
  const lines = new Set<number>();
  for (const s of selections) {
    const [a, b] = s.start.line <= s.end.line ? [s.start, s.end] : [s.end, s.start];
    let last = b.line;
    if (b.line > a.line && b.character === 0) last -= 1;
    for (let l = a.line; l <= last; l++) lines.add(l);
  }
  return [...lines].sort((x, y) => x - y);
}

/**
 * The prompt of a step: the first fenced block (```text preferred) between the step's heading
 * (0-based line) and the next step's heading (exclusive; -1 for the end of the file).
 */
export function stepPrompt(text: string, startLine: number, endLine: number): string | null {
  const lines = text.split(/\r?\n/);
  const end = endLine < 0 || endLine > lines.length ? lines.length : endLine;
  let fence: string | null = null;
  let lang = '';
  let body: string[] = [];
  let firstBlock: string | null = null;
  for (let i = startLine + 1; i < end; i++) {
    const line = lines[i];
    if (fence === null) {
      const open = /^\s{0,3}(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
      if (open) {
        fence = open[1];
        lang = open[2];
        body = [];
      }
    } else if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') {
      const block = body.join('\n');
      if (lang === 'text') return block;
      if (firstBlock === null) firstBlock = block;
      fence = null;
    } else {
      body.push(line);
    }
  }
  return firstBlock;
}

/** A short, single-line summary of a long text for quick picks. */
export function oneLine(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
