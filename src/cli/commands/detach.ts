// `bpfkit detach NAME`: detach every link of a deployment and remove its pins.
import type { Command } from "commander";
import { action } from "../run-command.js";

export function register(program: Command): void {
  program
    .command("detach")
    .description("detach a deployment and remove its pins (needs root)")
    .argument("<name>", "deployment name (see bpfkit status)")
    .action(action(async (name: string) => {
      const k = await import("../../kernel/index.js");
      const r = k.detachDeployment(name);
      process.stdout.write(`detached ${name}: ${r.linkIds.length} link(s), ${r.programIds.length} program(s), ${r.mapIds.length} map(s) released\n`);
      return 0;
    }));
}
