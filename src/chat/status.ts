/**
 * A "working" status line beside an answer while it is prepared (Slack's
 * `assistant.threads.setStatus`), driven by the engine's status events: "is searching the
 * docs…", then "is writing…", cleared once text arrives or the answer fails. The platform
 * shows the app's name before it.
 *
 * Best effort, never in the answer's way: calls run one after another in the background
 * and are never awaited by the answer; a failure is logged, and one that says the
 * platform lacks the feature turns it off for a while (`OptionalFeature`).
 *
 *   const status = new WorkingStatus((text) => setStatus(text), feature, logger);
 *   status.show('retrieving');  …  status.clear();
 */
import type { AnswerEvent } from '../engine/types.ts';
import type { Logger } from '../logger.ts';
import type { OptionalFeature } from './optional-feature.ts';

export type WorkingStage = Extract<AnswerEvent, { type: 'status' }>['stage'];

export const WORKING_STATUS: Record<WorkingStage, string> = {
  condensing: 'is reading the thread…',
  retrieving: 'is searching the docs…',
  generating: 'is writing…',
};

export class WorkingStatus {
  readonly #set: (text: string) => Promise<unknown>;
  readonly #feature: OptionalFeature;
  readonly #logger: Logger;
  #calls: Promise<void> = Promise.resolve();
  #shown = '';
  #cleared = false;

  /** `set('')` clears the status. */
  constructor(set: (text: string) => Promise<unknown>, feature: OptionalFeature, logger: Logger) {
    this.#set = set;
    this.#feature = feature;
    this.#logger = logger;
  }

  show(stage: WorkingStage): void {
    const text = WORKING_STATUS[stage];
    if (this.#cleared || text === this.#shown) return;
    this.#shown = text;
    this.#send(text);
  }

  /** Ends the status (text arrived, or the answer failed); later stages show nothing. */
  clear(): void {
    if (this.#cleared) return;
    this.#cleared = true;
    if (this.#shown) this.#send('');
  }

  /** Resolves once every call so far was made or failed. */
  settled(): Promise<void> {
    return this.#calls;
  }

  #send(text: string): void {
    this.#calls = this.#calls.then(async () => {
      if (!this.#feature.available()) return;
      try {
        await this.#set(text);
      } catch (error) {
        if (this.#feature.failed(error)) this.#logger.info({ err: error }, 'status line unavailable here; answering without it');
        else this.#logger.warn({ err: error }, 'could not set the status line');
      }
    });
  }
}
