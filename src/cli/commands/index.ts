// Every command registers itself here, one line each, in the order `bpfkit --help` lists them.
// Start-up time (issue #15 item 9): each command's module is imported only when it is the one invoked, so
// `bpfkit verify` neither loads nor parses the modules of `deploy`, `playground`, `build`... (nor the Node
// built-ins they import: http, child_process). `--help`, `help CMD`, a mistyped command: all of them.
import type { Command } from "commander";

type Register = (program: Command) => void;
type CommandModule = () => Promise<{ register: Register }>;

const COMMANDS: [name: string, load: CommandModule][] = [
  ["asm", () => import("./asm.js")],
  ["disasm", () => import("./disasm.js")],
  ["inspect", () => import("./inspect.js")],
  ["verify", () => import("./verify.js")],
  ["run", () => import("./run.js")],
  ["conformance", () => import("./conformance.js")],
  ["deploy", () => import("./deploy.js")],
  ["status", () => import("./status.js")],
  ["detach", () => import("./detach.js")],
  ["map", () => import("./map.js")],
  ["build", () => import("./build.js")],
  ["playground", () => import("./playground.js")],
];

/** Registers the command `args[0]` names (the program has no options of its own before it), or every command. */
export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const named = COMMANDS.filter(([name]) => name === args[0]);
  const modules = await Promise.all((named.length ? named : COMMANDS).map(([, load]) => load()));
  for (const m of modules) m.register(program);
}
