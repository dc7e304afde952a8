// Choosing one program of a file: `--prog NAME` on every command that takes a program file, with
// `--program NAME` accepted as a hidden alias. `--prog` because it is what bpftool says (`bpftool prog`),
// what the messages already told users ("choose one with --prog", BK3007) and what verify and deploy took
// from the start; `--program` stays accepted so earlier command lines (run, disasm) keep working.
import { Option, type Command } from "commander";
import { BpfkitError, diag } from "../diagnostics/index.js";

export interface ProgFlags { prog?: string; program?: string }

/** Add `--prog <name>` (shown in help) and its alias `--program <name>` (accepted, not shown). */
export function progOption(cmd: Command, description = "which program of a file that holds several"): Command {
  return cmd.option("--prog <name>", description).addOption(new Option("--program <name>").hideHelp());
}

/** The program the flags name, if any; both spellings at once must name the same program. */
export function progChoice(flags: ProgFlags): string | undefined {
  if (flags.prog !== undefined && flags.program !== undefined && flags.prog !== flags.program) {
    throw new BpfkitError(diag("BK9801", { what: `--prog and --program name different programs ('${flags.prog}', '${flags.program}'); they are one option` }), 2);
  }
  return flags.prog ?? flags.program;
}
