// Background jobs of the local server (the compactor, for one): each runs, waits its interval, runs again.
// Stopping cancels the next run and waits for the current one, so shutdown never cuts a job in half.
import type { Log } from "../shared/http/log.ts";
import { errorDetails } from "../shared/http/log.ts";

export interface BackgroundJob {
  readonly name: string;
  /** Pause between the end of one run and the start of the next. */
  readonly intervalMs: number;
  run(): Promise<void>;
}

export class JobRunner {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly jobs: readonly BackgroundJob[],
    private readonly log: Log,
  ) {}

  start(): void {
    for (const job of this.jobs) this.schedule(job);
  }

  private schedule(job: BackgroundJob): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(job.name);
      const run = job
        .run()
        .catch((error: unknown) =>
          this.log.error("background job failed", { job: job.name, ...errorDetails(error) }),
        )
        .finally(() => {
          this.running.delete(job.name);
          this.schedule(job);
        });
      this.running.set(job.name, run);
    }, job.intervalMs);
    this.timers.set(job.name, timer);
  }

  /** No new runs start; resolves when the runs in progress have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.running.values()]);
  }
}
