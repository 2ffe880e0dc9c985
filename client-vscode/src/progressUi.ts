// Work-done progress from the server, shown as a cancellable notification, and a count of the
// generations that are running (the status bar spins while it is above zero).
import * as vscode from 'vscode';
import {
  BaseLanguageClient,
  ClientCapabilities,
  FeatureState,
  StaticFeature,
  WorkDoneProgress,
  WorkDoneProgressBegin,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  WorkDoneProgressReport,
  ProgressToken,
} from 'vscode-languageclient/node';

export class Busy {
  private count = 0;
  private readonly emitter = new vscode.EventEmitter<number>();
  readonly onDidChange = this.emitter.event;
  get value(): number {
    return this.count;
  }
  enter(): vscode.Disposable {
    this.count++;
    this.emitter.fire(this.count);
    let left = false;
    return new vscode.Disposable(() => {
      if (left) return;
      left = true;
      this.count--;
      this.emitter.fire(this.count);
    });
  }
}

export const busy = new Busy();

/** How many server-side progress reports have begun (any server): lets a client-side wait
 * notice that the server shows its own progress, so the user doesn't get two. */
export const serverProgress = { begun: 0 };

type Report = (value: { message?: string; percentage?: number }) => void;

/**
 * Follow one progress token: the first `begin` opens a notification (with a Cancel button when
 * the server allows it), `report`s update it, `end` closes it. Returns a disposable that stops
 * following.
 */
export function followProgress(client: BaseLanguageClient, token: ProgressToken): vscode.Disposable {
  let finish: (() => void) | undefined;
  let ended = false;
  let report: Report | undefined;
  let lastPct = 0;
  let busyPart: vscode.Disposable | undefined;
  const pending: Array<{ message?: string; percentage?: number }> = [];

  const sub = client.onProgress(WorkDoneProgress.type, token, (value) => {
    switch (value.kind) {
      case 'begin':
        begin(value);
        break;
      case 'report':
        update(value);
        break;
      case 'end':
        end();
        break;
    }
  });

  function update(v: WorkDoneProgressReport | WorkDoneProgressBegin): void {
    const item = { message: v.message, percentage: v.percentage };
    if (report) report(item);
    else pending.push(item);
  }

  function begin(v: WorkDoneProgressBegin): void {
    if (busyPart || ended) return;
    serverProgress.begun++;
    busyPart = busy.enter();
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: v.title, cancellable: !!v.cancellable },
      (progress, cancel) => {
        cancel.onCancellationRequested(() => {
          void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
        });
        report = (r) => {
          let increment: number | undefined;
          if (typeof r.percentage === 'number') {
            const pct = Math.max(0, Math.min(100, r.percentage));
            increment = Math.max(0, pct - lastPct);
            lastPct += increment;
          }
          progress.report({ message: r.message, increment });
        };
        for (const p of pending.splice(0)) report(p);
        return new Promise<void>((resolve) => {
          finish = resolve;
          if (ended) resolve();
        });
      },
    );
    update(v);
  }

  function end(): void {
    if (ended) return;
    ended = true;
    finish?.();
    busyPart?.dispose();
    sub.dispose();
  }

  return new vscode.Disposable(end);
}

/** Replaces the language client's own progress feature (which shows only a window spinner). */
export class ProgressFeature implements StaticFeature {
  private readonly parts = new Set<vscode.Disposable>();
  constructor(private readonly client: BaseLanguageClient) {}

  getState(): FeatureState {
    return { kind: 'static' };
  }

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.window = capabilities.window ?? {};
    capabilities.window.workDoneProgress = true;
  }

  initialize(): void {
    this.client.onRequest(WorkDoneProgressCreateRequest.type, (params) => {
      const part = followProgress(this.client, params.token);
      this.parts.add(part);
    });
  }

  clear(): void {
    for (const p of this.parts) p.dispose();
    this.parts.clear();
  }
}
