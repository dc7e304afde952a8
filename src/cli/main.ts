#!/usr/bin/env node
// The bpfkit command line: one file per command in ./commands, registered here.
import { Command } from "commander";
import { registerCommands } from "./commands/index.js";
import { reportError } from "./run-command.js";

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
registerCommands(program);
program.parseAsync(process.argv).catch((err: unknown) => { process.exitCode = reportError(err); });
