// BPF_PROG_TYPE_SCHED_ACT: tc action (`action` section, legacy); same context and helpers as sched_cls.
import { skBuffLayout } from "./sk-buff.js";
import { ProgType } from "./numbers.js";
import { TC_ACTIONS, TC_HELPERS, SKB_TEST_RUN_NOTE } from "./sched-cls.js";
import type { ProgTypeInfo } from "./types.js";

export const schedAct: ProgTypeInfo = {
  id: ProgType.SCHED_ACT, name: "sched_act", kernelName: "BPF_PROG_TYPE_SCHED_ACT",
  summary: "traffic control action (legacy act_bpf); returns a TC_ACT_* verdict",
  context: () => skBuffLayout("tc"), packetAccess: "read_write", attachTypes: [], expectedAttachTypeRequired: false,
  returnRule: {}, returnCodes: TC_ACTIONS,
  testRun: { supported: true, data: "required", ctx: "optional", minDataSize: 14, note: SKB_TEST_RUN_NOTE },
  helpers: TC_HELPERS,
};
