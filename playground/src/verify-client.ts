// The page's side of the verifier worker: one request in flight, only the newest waiting behind it. A
// verification that runs long is not waited for: when a newer text arrives after BUSY_MS the worker is
// replaced, so a program that makes the verifier work hard never blocks the next keystroke's result.
import VerifyWorker from "./verify-worker.ts?worker&inline";
import type { VerifyReport } from "./verify-core.js";
import type { WorkerReply, WorkerRequest } from "./verify-worker.js";

const BUSY_MS = 1500;

export class VerifyClient {
  private worker: Worker;
  private nextId = 1;
  private inFlight: { id: number; since: number } | undefined;
  private waiting: WorkerRequest | undefined;

  constructor(private readonly onReport: (r: VerifyReport) => void, private readonly onBusy: (busy: boolean) => void, private readonly onCrash: (message: string) => void) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const w = new VerifyWorker();
    w.onmessage = (e: MessageEvent<WorkerReply>) => {
      const r = e.data;
      if (this.inFlight?.id !== r.id) return;
      this.inFlight = undefined;
      if ("crash" in r) this.onCrash(r.crash);
      else if (!this.waiting) this.onReport(r); // a newer text is waiting: this report is already stale
      this.pump();
    };
    w.onerror = (e) => { this.onCrash(e.message || "the verifier worker failed"); this.inFlight = undefined; this.pump(); };
    return w;
  }

  /** Ask for a report on this text; older requests not yet answered are dropped. */
  request(req: Omit<WorkerRequest, "id">): number {
    const id = this.nextId++;
    this.waiting = { ...req, id };
    if (this.inFlight && performance.now() - this.inFlight.since > BUSY_MS) {
      this.worker.terminate();
      this.worker = this.spawn();
      this.inFlight = undefined;
    }
    this.pump();
    return id;
  }

  private pump(): void {
    if (this.inFlight || !this.waiting) { this.onBusy(this.inFlight !== undefined); return; }
    const req = this.waiting;
    this.waiting = undefined;
    this.inFlight = { id: req.id, since: performance.now() };
    this.onBusy(true);
    this.worker.postMessage(req);
  }
}
