// Running a scenario on the simulated host: every step in order, `expect` lines checked at the end.
import { BpfkitError } from "../diagnostics/index.js";
import type { Program } from "../program/program.js";
import { checkExpectation } from "./expect.js";
import type { ScenarioReport, SimSocketReport } from "./report.js";
import type { Scenario } from "./scenario.js";
import { SocketWorld, type WorldOptions } from "./world.js";

/** The simulated host's report: socket reports carry callbacks, deliveries and cookies. */
export interface SimScenarioReport extends ScenarioReport {
  runner: "offline";
  sockets: SimSocketReport[];
  /** Every program run in order: which socket, which hook, what it did. */
  timeline: { socket: string; hook: string; program: string; what: string; retval: number }[];
  /** bpf_trace_printk output. */
  trace: string[];
}

export function runScenario(scenario: Scenario, programs: readonly Program[], options: WorldOptions = {}): SimScenarioReport {
  const world = new SocketWorld(programs, { ...options, file: options.file ?? scenario.file });
  runSteps(world, scenario);
  return scenarioReport(world, scenario);
}

/** Run the steps of `scenario` on an existing world (tests may prepare the world first). */
export function runSteps(world: SocketWorld, scenario: Scenario): void {
  for (const step of scenario.steps) {
    world.line = step.line;
    world.currentOp = step.op;
    switch (step.op) {
      case "attach": world.attach(step.prog, step.hook.name, step.map); world.steps.push({ line: step.line, op: "attach", result: "ok" }); break;
      case "detach": world.detach(step.prog, step.hook.name, step.map); world.steps.push({ line: step.line, op: "detach", result: "ok" }); break;
      case "map": world.steps.push({ line: step.line, op: "map", result: world.mapSet(step.map, step.key, step.value, step.flags ?? 0) }); break;
      case "unmap": world.steps.push({ line: step.line, op: "unmap", result: world.mapUnset(step.map, step.key) }); break;
      case "socket": world.create(step.name, step.kind, step.outside); world.steps.push({ line: step.line, op: "socket", socket: step.name, result: "ok" }); break;
      case "bind": world.bind(step.name, step.addr); break;
      case "listen": world.listen(step.name); break;
      case "connect": world.connect(step.name, step.addr); break;
      case "accept": world.accept(step.listener, step.name); break;
      case "send": world.send(step.name, step.data); break;
      case "sendto": world.sendto(step.name, step.addr, step.data); break;
      case "recv": world.recv(step.name); break;
      case "shutdown": world.shutdown(step.name); break;
      case "close": world.close(step.name); break;
      case "getpeername": world.getpeername(step.name); break;
      case "getsockname": world.getsockname(step.name); break;
      case "wait": if (step.ms >= 40) world.fireDelayedAcks(); world.steps.push({ line: step.line, op: "wait", result: "ok" }); break;
      case "dump": {
        world.map(step.map);
        const map = world.report().maps.find((m) => m.name === step.map);
        world.steps.push({ line: step.line, op: "dump", result: `${map?.entries.length ?? 0} entries`, ...(map ? { map } : {}) });
        break;
      }
      case "expect": break;
    }
  }
  world.line = undefined;
  world.currentOp = undefined;
}

/** The report of a world after `scenario` ran on it, with its expectations checked. */
export function scenarioReport(world: SocketWorld, scenario?: Scenario): SimScenarioReport {
  // at the end time passes (the delayed ACKs go out) and what the application has not read yet is read,
  // as the live runner waits and drains every socket
  world.fireDelayedAcks();
  for (const [name, s] of world.sockets) if (!s.appClosed && s.state !== 10) world.recvQuiet(name);
  const { sockets, maps } = world.report();
  const report: SimScenarioReport = {
    runner: "offline", sockets, steps: world.steps, maps, failed: [],
    timeline: world.log.map((l) => ({ socket: l.sock.name, ...l.record })), trace: world.host.trace,
  };
  for (const step of scenario?.steps ?? []) {
    if (step.op !== "expect") continue;
    const msg = checkExpectation(step.what, report);
    if (msg) report.failed.push({ line: step.line, message: msg });
  }
  return report;
}

export { BpfkitError };
