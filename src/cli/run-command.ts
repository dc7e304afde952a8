// Wraps every command action: bad input becomes printed diagnostics and an exit code, never a stack trace.
import { BpfkitError, formatDiagnostic } from "../diagnostics/index.js";

export type Action<A extends unknown[]> = (...args: A) => Promise<number | void> | number | void;

/** Exit codes: 0 ok, 1 the program is at fault, 2 bad usage or unreadable input. */
export function action<A extends unknown[]>(fn: Action<A>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = typeof code === "number" ? code : 0;
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };
}

/** Print an error the way a user should see it; returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof BpfkitError) {
    for (const d of err.diagnostics) process.stderr.write(formatDiagnostic(d) + "\n");
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === "object" && typeof e.code === "string" && e.code.startsWith("E") && "path" in e) {
    process.stderr.write(`error: cannot read ${String(e.path)}: ${e.code}\n`);
    return 2;
  }
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`internal error: ${message}\n`);
  if (process.env.BPFKIT_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + "\n");
  else process.stderr.write("(this is a bug in bpfkit; set BPFKIT_DEBUG=1 for a stack trace)\n");
  return 70;
}
