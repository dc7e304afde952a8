// `--type [NAME=]TYPE`, the same on every command that takes a program file: TYPE (a libbpf section name
// such as xdp, or a kernel type name such as sched_cls) for every program, NAME=TYPE (repeatable) for the
// program, or the ELF section, called NAME. Programs whose section libbpf does not know need it.
import type { Command } from "commander";
import { parseTypeChoice, type ProgramTypeChoice } from "../elf/type-choice.js";

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Add the option to a command; its value arrives as `opts.type: string[] | undefined`. */
export function typeOption(command: Command, what = "program type"): Command {
  return command.option("--type <[name=]type>",
    `${what}: a libbpf section name (xdp, tc, socket, kprobe, cgroup_skb/ingress, ...) for every program, or NAME=TYPE for one program or ELF section (repeatable)`, collect);
}

/** The parsed choice (checked: exit 2 naming a bad TYPE), or undefined when none was given. */
export function typeChoice(opts: { type?: string[] }): ProgramTypeChoice | undefined {
  return parseTypeChoice(opts.type);
}
