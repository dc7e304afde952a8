// The socket-world part (loaded when a program that runs on sockets is first run): the library's simulated
// socket world (src/sockets) and what the Run tab needs of it: run a scenario text (docs/sockets.md) with
// an object's programs, and write a first scenario for programs that come without one.
import { HOOKS, parseScenario, runSteps, scenarioReport, SocketWorld, type SimScenarioReport } from "../../../src/sockets/index.js";
import { progTypeByName } from "../../../src/progtypes/index.js";
import type { Program } from "../../../src/program/index.js";

export type { SimScenarioReport };

/** Program types the socket world runs: the hooks a scenario attaches programs to. */
export const SOCKET_PROG_TYPES: readonly string[] = [...new Set(Object.values(HOOKS).map((h) => h.progType))];

/** An entry the Maps tab writes before the scenario's first step (as user space would, BPF_ANY). */
export interface Seed { map: string; key: Uint8Array; value: Uint8Array }

/**
 * Run a scenario on the socket world with `programs` (one object's: they share maps), compiled when every
 * program verifies, else in the checked interpreter; `seeds` are written first. Throws a BpfkitError
 * naming the scenario line for bad input; a seed the map refuses is reported in `seedProblems`.
 */
export function runScenario(text: string, programs: readonly Program[], seeds: readonly Seed[] = []): SimScenarioReport & { seedProblems: string[] } {
  const scenario = parseScenario(text, "scenario");
  const world = new SocketWorld(programs, { file: scenario.file });
  const seedProblems: string[] = [];
  for (const s of seeds) {
    const r = world.mapSet(s.map, s.key, s.value);
    if (r !== "ok") seedProblems.push(`${s.map}: the map refused an entry from the Maps tab (${r})`);
  }
  runSteps(world, scenario);
  return { ...scenarioReport(world, scenario), seedProblems };
}

/** The `attach` line for a program by its section (map hooks take the object's first sockmap / sockhash). */
function hookLine(p: Program, sockmap: string | undefined): string | undefined {
  const info = progTypeByName(p.section);
  const mapHook = (hook: string): string | undefined => (sockmap ? `attach ${p.name} ${hook} ${sockmap}` : undefined);
  switch (info?.name) {
    case "sock_ops": return `attach ${p.name} sockops`;
    case "sk_msg": return mapHook("sk_msg");
    case "sk_skb": return mapHook(/parser/.test(p.section) ? "stream_parser" : /stream/.test(p.section) || !/verdict/.test(p.section) ? "stream_verdict" : "sk_skb_verdict");
    case "cgroup_sock_addr": {
      const hook = /([a-z]+[46])$/.exec(p.section)?.[1];
      return hook && HOOKS[hook] ? `attach ${p.name} ${hook}` : undefined;
    }
    default: return undefined;
  }
}

/** A first scenario for an object's socket programs: attach them all, one connection, a send each way, the socket maps. */
export function defaultScenario(programs: readonly Program[]): string {
  const maps = programs.flatMap((p) => p.maps).filter((m, i, all) => all.findIndex((x) => x.name === m.name) === i && (m.type === "sockhash" || m.type === "sockmap"));
  const attach = programs.map((p) => hookLine(p, maps[0]?.name)).filter((l): l is string => !!l);
  return [
    "# A scenario on the simulated host (one network namespace, loopback, the cgroup the programs attach to).",
    "# Steps: socket, bind, listen, connect, accept, send, recv, close, map, dump, expect (see docs/sockets.md).",
    ...attach,
    "socket server tcp", "bind server 127.0.0.1:8080", "listen server",
    "socket client tcp", "connect client 127.0.0.1:8080", "accept server conn",
    'send client "hello"', 'send conn "world"',
    ...maps.map((m) => `dump ${m.name}`),
    "close client", "close conn", "",
  ].join("\n");
}
