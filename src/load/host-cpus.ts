// Node-only: this machine's possible CPUs (/sys/devices/system/cpu/possible). The kernel backend sizes
// per-CPU map values by it, and the verifier bounds bpf_get_smp_processor_id() by it (nr_cpu_ids). Kept
// apart from the kernel backend so `verify` can ask without loading bpf(2) (start-up time).
import { existsSync, readFileSync } from "node:fs";

const POSSIBLE = "/sys/devices/system/cpu/possible";
let cpus: number | undefined;

/** Number of possible CPUs, the count of values a per-CPU map holds; 1 where /sys does not say. */
export function possibleCpus(): number {
  if (cpus !== undefined) return cpus;
  let n = 0;
  try {
    for (const part of readFileSync(POSSIBLE, "utf8").trim().split(",")) {
      const [a, b] = part.split("-").map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
  } catch { /* not Linux: one */ }
  cpus = Math.max(n, 1);
  return cpus;
}

/** The possible CPUs where /sys says, else undefined (the verifier then keeps its conservative default). */
export function hostCpus(): number | undefined {
  return existsSync(POSSIBLE) ? possibleCpus() : undefined;
}
