#!/usr/bin/env node
// The bpfkit command line: one file per command in ./commands, registered here.
import { Command } from "commander";
import { setFlagsFromString } from "node:v8";
import { registerCommands } from "./commands/index.js";
import { reportError } from "./run-command.js";

// A reader that stops early (`bpfkit verify x.o --log-level 2 | head`) closes the pipe: that is not an error
// of ours, so end quietly as other Unix tools do instead of printing a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}

// A one-shot run has no time to tier up: V8 starts WebAssembly in its baseline compiler (Liftoff) and has
// no on-stack replacement for it, so a long first run of compiled BPF (or of the interpreter loop) would
// never leave the baseline code. Compile every module with the optimizing compiler from the start.
setFlagsFromString("--no-liftoff");

const program = new Command();
program
  .name("bpfkit")
  .description("A toolchain for eBPF: assemble, disassemble, inspect, verify, run offline and deploy BPF programs")
  .version("0.1.0")
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) })
  .exitOverride((err) => {
    // commander's own usage errors: exit 2 (bad usage); --help / --version: 0.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });
registerCommands(program, process.argv.slice(2)).then(() => program.parseAsync(process.argv)).catch((err: unknown) => { process.exitCode = reportError(err); });
