// Every command registers itself here, one line each, in the order `bpfkit --help` lists them.
import type { Command } from "commander";

type Register = (program: Command) => void;

export function registerCommands(program: Command): void {
  for (const register of COMMANDS) register(program);
}

import { register as asm } from "./asm.js";
import { register as disasm } from "./disasm.js";
import { register as inspect } from "./inspect.js";
import { register as verify } from "./verify.js";
import { register as run } from "./run.js";
import { register as conformance } from "./conformance.js";
import { register as deploy } from "./deploy.js";
import { register as status } from "./status.js";
import { register as detach } from "./detach.js";
import { register as map } from "./map.js";
import { register as build } from "./build.js";
import { register as playground } from "./playground.js";

const COMMANDS: Register[] = [asm, disasm, inspect, verify, run, conformance, deploy, status, detach, map, build, playground];
