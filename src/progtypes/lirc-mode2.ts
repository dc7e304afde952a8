// BPF_PROG_TYPE_LIRC_MODE2: an infrared decoder attached to a raw IR receiver (/dev/lircN): runs for each
// pulse/space sample and reports key presses with bpf_rc_keydown. The context is the u32 sample itself;
// lirc_mode2_is_valid_access (drivers/media/rc/bpf-lirc.c) allows exactly one 4-byte load at offset 0.
// lirc_mode2_func_proto has no base fallback: the rc_* helpers and a short list of map/time helpers.
// Not checked against the running kernel: it is built without CONFIG_BPF_LIRC_MODE2 (the load fails with
// EINVAL before the verifier runs).
import { layoutStruct, WORD } from "./context.js";
import { AttachType, ProgType } from "./numbers.js";
import type { ProgTypeInfo } from "./types.js";

const LAYOUT = { ...layoutStruct("lirc_mode2 sample", [["sample", "u32"]], () => ({ read: WORD })), header: null };

export const lircMode2: ProgTypeInfo = {
  id: ProgType.LIRC_MODE2, name: "lirc_mode2", kernelName: "BPF_PROG_TYPE_LIRC_MODE2",
  summary: "infrared decoder: sees each raw IR sample (u32) and reports decoded keys (bpf_rc_keydown)",
  context: () => LAYOUT, packetAccess: "none", attachTypes: [AttachType.LIRC_MODE2], expectedAttachTypeRequired: false,
  returnRule: {}, // no check_return_code case
  returnCodes: [],
  testRun: { supported: false, data: "none", ctx: "none" },
  helpers: ["rc_repeat", "rc_keydown", "rc_pointer_rel", "map_lookup_elem", "map_update_elem", "map_delete_elem", "map_push_elem",
    "map_pop_elem", "map_peek_elem", "ktime_get_ns", "ktime_get_boot_ns", "tail_call", "get_prandom_u32", "trace_printk"],
};
