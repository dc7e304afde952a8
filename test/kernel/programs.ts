// Programs for the kernel tests, written with the ISA builders (no assembler or ELF needed).
import { aluImm, aluReg, call, exit, jmpImm, jmpReg, label, link, load, loadMap, make, mov64Imm, mov64Reg, R0, R1, R2, R3, R4, R6, R7, R10, storeImm, storeReg } from "../../src/isa/index.js";
import type { Program } from "../../src/program/index.js";

const linkMaps = (insns: Parameters<typeof link>[0], names: string[]) =>
  link(insns, { resolveSymbol: (n) => (names.includes(n) ? BigInt(names.indexOf(n)) : undefined) });

/** r0 = *(u64*)map[key in stack]+= 1, r6 preserved. Clobbers r1-r5, r0. */
function bump(map: string, keyReg: number | undefined, keyImm: number, tag: string) {
  return [
    keyReg === undefined ? storeImm(4, R10, -4, keyImm) : storeReg(4, R10, -4, keyReg),
    mov64Reg(R2, R10), aluImm("add", R2, -4), loadMap(R1, map), call("map_lookup_elem"),
    jmpImm("jeq", R0, 0, `${tag}_skip`), mov64Imm(R1, 1), make("lock add", { dst: R0, src: R1, off: 0 }),
    label(`${tag}_skip`, mov64Imm(R0, 0)),
  ];
}

/** XDP: counts every packet in counts[0]; returns `action`. */
export function xdpCounter(action = 2): Program {
  const insns = linkMaps([...bump("counts", undefined, 0, "a"), mov64Imm(R0, action), exit()], ["counts"]);
  return { name: "xdp_count", section: "xdp", insns, maps: [{ name: "counts", type: "array", keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 }], license: "GPL" };
}

/**
 * XDP firewall: IPv4 packets whose source address (network order u32) is a key of `blocked` are dropped
 * and counted in that key's value; every other IPv4 packet is counted in stats[0] and passed.
 */
export function xdpBlocker(): Program {
  const insns = linkMaps([
    mov64Reg(R6, R1),
    load(4, R2, R6, 0), load(4, R3, R6, 4), // data, data_end
    mov64Reg(R4, R2), aluImm("add", R4, 34), jmpReg("jgt", R4, R3, "pass"), // eth + ipv4 header in bounds
    load(2, R4, R2, 12), jmpImm("jne", R4, 0x0008, "pass"), // h_proto == htons(ETH_P_IP)
    load(4, R7, R2, 26), // saddr
    storeReg(4, R10, -4, R7), mov64Reg(R2, R10), aluImm("add", R2, -4), loadMap(R1, "blocked"), call("map_lookup_elem"),
    jmpImm("jeq", R0, 0, "count_pass"),
    mov64Imm(R1, 1), make("lock add", { dst: R0, src: R1, off: 0 }), mov64Imm(R0, 1), exit(), // XDP_DROP
    label("count_pass", mov64Imm(R0, 0)), ...bump("stats", undefined, 0, "p"),
    label("pass", mov64Imm(R0, 2)), exit(),
  ], ["blocked", "stats"]);
  return {
    name: "xdp_block", section: "xdp", insns, license: "GPL",
    maps: [
      { name: "blocked", type: "hash", keySize: 4, valueSize: 8, maxEntries: 64, flags: 0 },
      { name: "stats", type: "array", keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 },
    ],
  };
}

/** tcx: drops UDP packets to `port` (counted in drops[0]); every other packet goes on (TCX_NEXT). */
export function tcUdpDropper(port: number): Program {
  const be = ((port & 0xff) << 8) | (port >> 8);
  const insns = linkMaps([
    load(4, R2, R1, 76), load(4, R3, R1, 80), // __sk_buff data, data_end
    mov64Reg(R4, R2), aluImm("add", R4, 38), jmpReg("jgt", R4, R3, "next"),
    load(2, R4, R2, 12), jmpImm("jne", R4, 0x0008, "next"),
    load(1, R4, R2, 23), jmpImm("jne", R4, 17, "next"), // protocol UDP (assumes no IP options)
    load(2, R4, R2, 36), jmpImm("jne", R4, be, "next"),
    ...bump("drops", undefined, 0, "d"), mov64Imm(R0, 2), exit(), // TC_ACT_SHOT
    label("next", mov64Imm(R0, -1)), exit(),
  ], ["drops"]);
  return { name: "tc_drop", section: "tc", insns, license: "GPL", maps: [{ name: "drops", type: "array", keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 }] };
}

const SOCK_KEY = { name: "sock_hash", type: "sockhash", keySize: 16, valueSize: 4, maxEntries: 1024, flags: 0 };

/**
 * sock_ops: every established IPv4 socket (active or passive) goes into `sock_hash` under the key
 * {local_ip4, remote_ip4, local_port as be16<<16, remote_port}.
 */
export function sockopsProgram(): Program {
  const insns = linkMaps([
    mov64Reg(R6, R1),
    load(4, R2, R6, 0), jmpImm("jeq", R2, 4, "add"), jmpImm("jeq", R2, 5, "add"), ja("out"),
    label("add", load(4, R2, R6, 20)), jmpImm("jne", R2, 2, "out"), // AF_INET only
    load(4, R2, R6, 28), storeReg(4, R10, -16, R2), // local_ip4
    load(4, R2, R6, 24), storeReg(4, R10, -12, R2), // remote_ip4
    load(4, R2, R6, 68), make("be16", { dst: R2 }), aluImm("lsh", R2, 16), storeReg(4, R10, -8, R2), // local_port (host) -> be16<<16
    load(4, R2, R6, 64), storeReg(4, R10, -4, R2), // remote_port
    mov64Reg(R1, R6), loadMap(R2, "sock_hash"), mov64Reg(R3, R10), aluImm("add", R3, -16), mov64Imm(R4, 0), // BPF_ANY
    call("sock_hash_update"),
    label("out", mov64Imm(R0, 1)), exit(),
  ], ["sock_hash"]);
  return { name: "sockops_add", section: "sockops", insns, license: "GPL", maps: [SOCK_KEY] };
}

/** sk_msg: redirects each message to the peer socket's ingress queue; successful redirects counted in redirects[0]. */
export function skMsgProgram(): Program {
  const insns = linkMaps([
    mov64Reg(R6, R1),
    load(4, R2, R6, 20), storeReg(4, R10, -16, R2), // peer's local_ip4 = our remote_ip4
    load(4, R2, R6, 24), storeReg(4, R10, -12, R2), // peer's remote_ip4 = our local_ip4
    load(4, R2, R6, 60), storeReg(4, R10, -8, R2), // peer's local port (be16<<16) = our remote_port
    load(4, R2, R6, 64), make("be16", { dst: R2 }), aluImm("lsh", R2, 16), storeReg(4, R10, -4, R2),
    mov64Reg(R1, R6), loadMap(R2, "sock_hash"), mov64Reg(R3, R10), aluImm("add", R3, -16), mov64Imm(R4, 1), // BPF_F_INGRESS
    call("msg_redirect_hash"),
    jmpImm("jne", R0, 1, "out"),
    ...bump("redirects", undefined, 0, "r"),
    label("out", mov64Imm(R0, 1)), exit(),
  ], ["sock_hash", "redirects"]);
  return { name: "skmsg_redir", section: "sk_msg", insns, license: "GPL", maps: [SOCK_KEY, { name: "redirects", type: "array", keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 }] };
}

function ja(target: string) {
  return make("ja", { ref: target });
}

/** A program the verifier must refuse: reads r2 before anything wrote it. */
export function rejectedProgram(): Program {
  return { name: "bad_read", section: "xdp", insns: [mov64Reg(R0, R2), exit()], license: "GPL", maps: [] };
}

export { aluReg };
