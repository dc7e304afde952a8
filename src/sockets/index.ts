// The simulated socket world: a host with TCP/UDP sockets for sockops, sk_msg, sk_skb and cgroup
// sock_addr programs (world.ts), scenario files (scenario.ts) and their reports (run.ts, format.ts).
// Browser-safe: no Node imports here; the live kernel runner is src/testing/sockets-live.ts.
export { SocketWorld, OP, OP_NAMES, CB, type WorldOptions } from "./world.js";
export { SimSocket, TCP } from "./socket.js";
export { parseScenario, parseEndpoint, formatEndpoint, payload, HOOKS, TCP_STATES, type Scenario, type Step, type Expectation, type Endpoint, type SocketKind, type DeliveryPath, type HookInfo } from "./scenario.js";
export { runScenario, runSteps, scenarioReport, type SimScenarioReport } from "./run.js";
export { checkExpectation } from "./expect.js";
export { formatReport, reportJson } from "./format.js";
export { errnoName, type ScenarioReport, type SocketReport, type SimSocketReport, type StepReport, type MapReport, type CallbackRecord, type Delivery } from "./report.js";
