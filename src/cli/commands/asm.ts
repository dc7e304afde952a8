// `bpfkit asm`: placeholder until its issue lands; says so instead of pretending to work.
import type { Command } from "commander";
import { action } from "../run-command.js";

export function register(program: Command): void {
  program
    .command("asm")
    .description("(not available yet in this build)")
    .allowUnknownOption()
    .argument("[args...]")
    .action(action(() => {
      process.stderr.write("bpfkit asm: not available yet in this build\n");
      return 2;
    }));
}
