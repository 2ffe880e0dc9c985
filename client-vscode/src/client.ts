// The language client for one workspace folder. Differences from the stock LanguageClient:
// - the server's commands are not registered by the client: the extension registers each id
//   once and routes it to the right folder's server (several folders would collide otherwise);
// - work-done progress is shown as a cancellable notification (see progressUi.ts);
// - the client's own pop-ups are turned into one clear message by the extension.
import {
  DynamicFeature,
  LanguageClient,
  LanguageClientOptions,
  MessageType,
  ServerOptions,
  StaticFeature,
} from 'vscode-languageclient/node';
import { ProgressFeature } from './progressUi';

export type Popup = (type: MessageType, message: string) => void;

export class PlanLanguageClient extends LanguageClient {
  popup: Popup = () => undefined;

  constructor(id: string, name: string, server: ServerOptions, options: LanguageClientOptions) {
    super(id, name, server, options);
    // The base class shows "Go to output" pop-ups for its own errors. revealOutputChannelOn:
    // Never (set by the extension) silences most of them, but not the forced ones, e.g.
    // "couldn't create connection to server" when the server dies before it answers
    // `initialize`; for those the extension shows one message of its own (with "Open setting"
    // and "Show log"), so they go to the log. There is no public way to do this (checked in
    // vscode-languageclient 9.0.1: logOutputMessage(..., 'force') ignores the option).
    (this as unknown as { showNotificationMessage: Popup }).showNotificationMessage = (type, message) =>
      this.popup(type, message);
  }

  override registerFeature(feature: StaticFeature | DynamicFeature<unknown>): void {
    const method = (feature as Partial<DynamicFeature<unknown>>).registrationType?.method;
    if (method === 'workspace/executeCommand') return;
    let stateId: string | undefined;
    try {
      const state = feature.getState() as { id?: string };
      stateId = state.id;
    } catch {
      stateId = undefined;
    }
    if (stateId === 'window/workDoneProgress/create') {
      super.registerFeature(new ProgressFeature(this));
      return;
    }
    super.registerFeature(feature);
  }

  /** The commands the server says it executes. */
  serverCommands(): string[] {
    return this.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  }
}
