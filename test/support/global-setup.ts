// Printed once per test run: what this machine lets the kernel tests do, so a log from another machine
// tells at a glance why a kernel test skipped or was answered otherwise (a missing capability, a sysctl).
import { kernelStatus } from "./kernel.js";

export default function setup(): void {
  const { ok, reason } = kernelStatus();
  console.log(`kernel tests: ${ok ? "run" : "cannot run"} (${reason})`);
}
