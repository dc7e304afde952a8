// The compiled engine (src/compiler) beside the interpreter and the kernel, measured in one run:
//  - ns per instruction on the shared programs (../shared/bench): compiled (first run and steady state),
//    interpreter (fast mode), and uBPF's x86-64 JIT when a harness for it is given (see below);
//  - compile time per 1,000 instructions (BPF -> WebAssembly bytes, and V8 -> machine code);
//  - ns per packet for parse_udp as XDP and the bpf/ XDP examples: compiled single runs (run with repeat: one
//    packet run again and again inside WebAssembly, as the kernel's repeat), packet batches of 20,000 packets
//    (src/engine/batch.ts: end to end from Uint8Arrays; replay of a loaded batch, total and the part inside
//    WebAssembly; and as the kernel's repeat, each packet as the previous run left it), runBatch with a record
//    object per packet, the interpreter, and the kernel's BPF_PROG_TEST_RUN with repeat when bpf(2) works here;
//  - `bpfkit run sum_loop.s --engine compiled --repeat 3` from the command line against the steady state.
// Reproduce: npm run build && npm run bench compiler
// uBPF (optional): BPFKIT_UBPF_HARNESS names a program linked against uBPF (not part of this repository)
// taking `PROG.bin MEM.bin|- RUNS [interp]` and printing `<r0 hex> <best ns>`.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { tsImport } from "tsx/esm/api";

// As the CLI does: optimized WebAssembly from the first run (src/cli/main.ts).
setFlagsFromString("--no-liftoff");

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// ../shared beside the repository (as CI lays it out); BPFKIT_SHARED names another place (a worktree).
const shared = join(process.env.BPFKIT_SHARED ?? join(root, "..", "shared"), "bench");
const distFresh = (() => {
  try { return statSync(join(root, "dist", "compiler", "module.js")).mtimeMs >= statSync(join(root, "src", "compiler", "module.ts")).mtimeMs; } catch { return false; }
})();
const load = (p) => (distFresh
  ? import(pathToFileURL(join(root, "dist", p.replace(/^src\//, "").replace(/\.ts$/, ".js"))).href)
  : tsImport(join(root, p), import.meta.url));
/** Best of `runs` by CPU time of this process (ns): wall time on this shared machine mostly measures others. */
const best = (fn, runs) => { let b = Infinity; for (let i = 0; i < runs; i++) { const t = process.cpuUsage(); fn(); const u = process.cpuUsage(t); b = Math.min(b, (u.user + u.system) * 1000); } return b; };
/** Best of `runs` by wall time (ns): what the CLI reports, so the CLI comparison uses it too. */
const bestWall = (fn, runs) => { let b = Infinity; for (let i = 0; i < runs; i++) { const t = performance.now(); fn(); b = Math.min(b, (performance.now() - t) * 1e6); } return b; };
const r3 = (x) => (typeof x === "number" ? +x.toFixed(x < 1 ? 3 : x < 100 ? 2 : 0) : x);

export default async function () {
  if (!existsSync(shared)) return [{ program: "(skipped)", note: `${shared} is absent` }];
  const { assemble } = await load("src/text/assembler.ts");
  const { encode, fromHex } = await load("src/isa/index.ts");
  const { ConformanceRunner } = await load("src/runtime/conformance.ts");
  const rows = [];
  const fnvInput = new Uint8Array(1 << 20);
  for (let i = 0; i < fnvInput.length; i++) fnvInput[i] = Number(((BigInt(i) * 2654435761n) % (1n << 32n)) >> 24n);
  const harness = process.env.BPFKIT_UBPF_HARNESS;
  const tmp = mkdtempSync(join(tmpdir(), "bpfkit-bench-"));
  const steady = {};
  for (const c of [{ name: "sum_loop", mem: new Uint8Array(0), expect: 0x2d7988896b40n, runs: 8 }, { name: "fnv1a", mem: fnvInput, expect: 0x1fd4120eb1b09c60n, runs: 8 }]) {
    const prog = assemble(readFileSync(join(shared, `${c.name}.s`), "utf8"), { file: `${c.name}.s` });
    const row = { program: c.name };
    for (const mode of ["compiled", "fast"]) {
      const r = new ConformanceRunner(mode, 1e12);
      const code = r.load(prog.insns, c.name);
      let res;
      const first = best(() => { res = r.runCode(code, c.mem); }, 1);
      const ns = best(() => { res = r.runCode(code, c.mem); }, c.runs);
      if (res.r0 !== c.expect) throw new Error(`${c.name} (${mode}): r0 0x${res.r0.toString(16)}, expected 0x${c.expect.toString(16)}`);
      const label = mode === "compiled" ? "compiled" : "interp";
      row[`${label} ns/insn`] = r3(ns / res.insnCount);
      if (mode === "compiled") {
        row["compiled first run ns/insn"] = r3(first / res.insnCount);
        steady[c.name] = bestWall(() => { res = r.runCode(code, c.mem); }, c.runs) / res.insnCount;
      }
      row.insns = res.insnCount;
    }
    if (harness && existsSync(harness)) {
      const bin = join(tmp, `${c.name}.bin`), mem = join(tmp, `${c.name}.mem`);
      writeFileSync(bin, encode(prog.insns));
      if (c.mem.length) writeFileSync(mem, c.mem);
      const out = execFileSync(harness, [bin, c.mem.length ? mem : "-", String(c.runs)], { encoding: "utf8" }).trim().split(/\s+/);
      if (BigInt(`0x${out[0]}`) !== c.expect) throw new Error(`uBPF ${c.name}: r0 0x${out[0]}`);
      row["uBPF JIT ns/insn"] = r3(Number(out[1]) / row.insns);
      row["compiled/uBPF JIT"] = r3(row["compiled ns/insn"] / row["uBPF JIT ns/insn"]);
    } else row["uBPF JIT ns/insn"] = "(set BPFKIT_UBPF_HARNESS)";
    row["kernel ns/insn"] = "n/a: the verifier refuses a loop this long";
    rows.push(row);
  }
  rows.push(...await compileTimes(load, assemble));
  const packetRows = await perPacket(load, assemble, fromHex);
  rows.push(cliRepeat(steady.sum_loop));
  rows.push({ program: `(code loaded from ${distFresh ? "dist/" : "src/ via tsx: npm run build first for per-run figures"})` });
  console.table(rows);
  console.log("\nPer packet (ns; CPU time of this process, best of 5; kernel: BPF_PROG_TEST_RUN's own average over repeat = 100000 of one packet).");
  console.log("compiled single = run({ repeat }) of one packet; batch e2e = loadPacketBatch + run of 20000 packets from Uint8Arrays;");
  console.log("replay = run() of the loaded batch (restore + run in place + summary arrays); repeat-style = run({ restore: false }) inside WebAssembly.");
  console.table(packetRows);
  return [];
}

/** BPF -> WebAssembly bytes (CPU time, best of 200: the compiler's own code warmed up), and V8's compile of those bytes (best of 10), per 1,000 instructions. */
async function compileTimes(load, assemble) {
  const { loadProgram } = await load("src/runtime/runtime.ts");
  const { loadPrograms } = await load("src/load/node.ts");
  const { verifiedForCompile } = await load("src/engine/index.ts");
  const { buildModule } = await load("src/compiler/index.ts");
  // Long programs with branches: parse_udp's body n times over (each copy its own labels).
  const body = readFileSync(join(shared, "parse_udp.s"), "utf8").split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
  const copies = (n) => {
    const big = [".section xdp"];
    for (let k = 0; k < n; k++) for (const l of body) big.push(l.replace(/\bout\b/g, `out${k}`).replace(/#.*$/, "").replace(/^\s*exit\s*$/, k === n - 1 ? "exit" : "r1 = r1"));
    return assemble(big.join("\n"), { file: `parse_udp_x${n}.s` });
  };
  // The fixed cost of one module: a program of two instructions.
  const programs = [["r0 = 2; exit (fixed cost)", assemble(".section xdp\n r0 = 2\n exit\n", { file: "empty.s" })], ["parse_udp x100", copies(100)], ["parse_udp x300", copies(300)]];
  for (const name of ["xdp_ddos_blocklist", "xdp_lb", "xdp_feature_tour", "tc_policy"]) {
    const all = await loadPrograms(join(root, "bpf", `${name}.bpf.o`));
    programs.push([name, all[0], all.slice(1)]);
  }
  let serial = 0;
  const unique = (bytes) => {
    const tag = new TextEncoder().encode(`bench${serial++}`);
    const out = new Uint8Array(bytes.length + 3 + tag.length);
    out.set(bytes);
    out.set([0, 1 + tag.length, tag.length], bytes.length); // section 0 (custom), its size, the name's length
    out.set(tag, bytes.length + 3);
    return out;
  };
  const cpuMs = (fn) => { const t = process.cpuUsage(); fn(); const u = process.cpuUsage(t); return (u.user + u.system) / 1000; };
  const rows = [];
  for (const [name, prog, others = []] of programs) {
    const verified = verifiedForCompile([prog, ...others], undefined).ok;
    const rt = loadProgram(prog, { executor: "compiled", verified, others });
    const codes = rt.engine.programs.map((c) => ({ name: c.name, base: c.base, slots: c.slots, funcRefs: c.funcRefs ?? [] }));
    const slots = codes.reduce((n, c) => n + c.slots, 0);
    let ms = Infinity, bytes;
    for (let i = 0; i < 200; i++) ms = Math.min(ms, cpuMs(() => { bytes = buildModule(rt.engine.mem.u8, codes, { verified, ctxHook: false }).bytes; }));
    // V8 keeps the module of bytes it has compiled (the runtime above compiled these): each compile here gets
    // bytes of its own (a custom section with a counter, which V8 skips) so it is a compile, not a cache hit.
    let v8 = Infinity;
    for (let i = 0; i < 10; i++) { const u = unique(bytes); v8 = Math.min(v8, cpuMs(() => new WebAssembly.Module(u))); }
    rows.push({ program: `compile ${name}`, insns: slots, "wasm bytes": bytes.length, verified, "BPF->Wasm ms": r3(ms), "BPF->Wasm ms/1k insns": r3((ms * 1000) / slots),
      "V8 compile ms": r3(v8), "V8 compile ms/1k insns": r3((v8 * 1000) / slots), "total ms/1k insns": r3(((ms + v8) * 1000) / slots) });
  }
  return rows;
}

// parse_udp with data and data_end from xdp_md, so the kernel verifier accepts it (as scripts/bench/interpreter.mjs has it).
const XDP_PARSE = (src) => `.section xdp
  r4 = *(u32 *)(r1 + 4)
  r1 = *(u32 *)(r1 + 0)
${src.split("\n").map((l) => l.replace(/#.*$/, "")).filter((l) => l.trim() && !/r4 = r1|r4 \+= r2/.test(l)).join("\n")}
`;

async function perPacket(load, assemble, fromHex) {
  const { openEngine, loadPacketBatch, runPackets } = await load("src/engine/index.ts");
  const { loadPrograms } = await load("src/load/node.ts");
  let kernel;
  try { kernel = await load("src/kernel/testrun.ts"); if (kernel.openKernelEngine === undefined) kernel = undefined; } catch { kernel = undefined; }
  const udp = fromHex(readFileSync(join(shared, "udp_packet.hex"), "utf8"));
  const pkt = (f) => fromHex(readFileSync(join(root, "bpf", "packets", f), "utf8"));
  const ip = (s) => s.split(".").map(Number);
  const u32 = (v) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
  const cat = (...xs) => { const o = new Uint8Array(xs.reduce((n, x) => n + x.length, 0)); let k = 0; for (const x of xs) { o.set(x, k); k += x.length; } return o; };
  const lpm = (bits, a) => cat(u32(bits), Uint8Array.from(a));
  const all = async (n) => loadPrograms(join(root, "bpf", `${n}.bpf.o`));
  const lbVip = pkt("lb_vip_tcp.hex");
  const cases = [
    { name: "xdp_pass", prog: assemble(".section xdp\nr0 = 2\nexit\n", { file: "pass.s" }), data: udp },
    { name: "parse_udp (xdp)", prog: assemble(XDP_PARSE(readFileSync(join(shared, "parse_udp.s"), "utf8")), { file: "parse_udp_xdp.s" }), data: udp },
    { name: "xdp_ddos_blocklist (blocked v4)", progs: await all("xdp_ddos_blocklist"), data: pkt("blocked_ipv4.hex"), maps: { blocklist_v4: [[lpm(24, [192, 0, 2, 0]), new Uint8Array(8)]] } },
    { name: "xdp_ddos_blocklist (allowed v4)", progs: await all("xdp_ddos_blocklist"), data: pkt("allowed_ipv4.hex"), maps: { blocklist_v4: [[lpm(24, [192, 0, 2, 0]), new Uint8Array(8)]] } },
    { name: "xdp_lb (VIP tcp)", progs: await all("xdp_lb"), data: lbVip, maps: {
      services: [[cat(Uint8Array.from(ip("10.0.0.100")), Uint8Array.of(0, 80, 6, 0)), cat(u32(3), u32(0))]],
      backends: [0, 1, 2].map((i) => [u32(i), cat(Uint8Array.from(ip(`192.168.1.${10 + i}`)), Uint8Array.of(2, 0, 0, 0, 1, 16 + i), new Uint8Array(2))]),
    } },
    { name: "xdp_feature_tour (udp)", progs: await all("xdp_feature_tour"), data: udp },
  ];
  const rows = [];
  for (const c of cases) {
    const prog = c.prog ?? c.progs[0];
    const others = c.progs ? c.progs.slice(1) : [];
    const row = { program: c.name };
    const open = (engine) => { const e = openEngine(prog, { engine, others, ...(engine === "interp" ? { mode: "fast" } : {}) }); for (const [m, es] of Object.entries(c.maps ?? {})) for (const [k, v] of es) e.maps.get(m).update(k, v); return e; };
    const compiled = open("compiled");
    const repeat = 100000;
    // A fresh packet's verdict (repeated runs see the packet as the previous run left it, as in the kernel).
    const want = compiled.run({ data: c.data }).retval;
    compiled.run({ data: c.data, repeat: 1000 });
    let single = Infinity, r;
    for (let i = 0; i < 5; i++) { r = compiled.run({ data: c.data, repeat }); single = Math.min(single, r.duration); }
    row.retval = want;
    row["compiled single ns"] = r3(single);
    // Batches of N packets (copies of this one), each run once as a fresh packet, three ways:
    //  - e2e: loadPacketBatch + run from N Uint8Arrays (laying the packets out in WebAssembly memory, running
    //    them, the per-packet retvals in a typed array; no object per packet);
    //  - replay: run() of a batch already loaded (each packet restored to its loaded bytes first, then run in
    //    place), and the part of it inside WebAssembly;
    //  - as the kernel's repeat: run({ restore: false }) (each packet as the previous run left it, as
    //    BPF_PROG_TEST_RUN's repeat runs its one packet), which is the like-for-like figure beside the kernel.
    // runBatch (a full record object per packet) is kept for comparison.
    const N = 20000;
    const packets = Array.from({ length: N }, () => c.data);
    const check = (s) => { if (s.errors.size || s.retval[0] !== want || s.retval[N - 1] !== want) throw new Error(`${c.name}: batch retval ${s.retval[0]} (errors ${s.errors.size}), expected ${want}`); };
    check(runPackets(compiled, packets));
    row["batch e2e ns/pkt"] = r3(best(() => check(runPackets(compiled, packets)), 5) / N);
    const loaded = loadPacketBatch(compiled, packets);
    if (!loaded.inPlace) row.note = "batch not in place";
    loaded.run();
    let inWasm = Infinity;
    row["replay ns/pkt"] = r3(best(() => { const s = loaded.run(); check(s); inWasm = Math.min(inWasm, s.duration); }, 5) / N);
    row["replay in Wasm ns/pkt"] = r3(inWasm);
    let asRepeat = Infinity;
    for (let i = 0; i < 5; i++) asRepeat = Math.min(asRepeat, loaded.run({ restore: false }).duration);
    row["repeat-style in Wasm ns/pkt"] = r3(asRepeat);
    const records = Array.from({ length: N }, () => ({ data: c.data }));
    row["runBatch (records) ns/pkt"] = r3(best(() => { if (compiled.runBatch(records)[0].result.retval !== want) throw new Error("runBatch differs"); }, 3) / N);
    const interp = open("interp");
    interp.run({ data: c.data, repeat: 1000 });
    let ins = Infinity;
    for (let i = 0; i < 3; i++) ins = Math.min(ins, interp.run({ data: c.data, repeat: 20000 }).duration);
    row["interp ns"] = r3(ins);
    if (kernel) {
      try {
        const k = kernel.openKernelEngine(prog, others.length ? { others } : {});
        for (const [m, es] of Object.entries(c.maps ?? {})) for (const [key, v] of es) k.maps.get(m).update(key, v);
        let d = Infinity, kr;
        const kwant = k.run({ data: c.data }).retval;
        for (let i = 0; i < 5; i++) { kr = k.run({ data: c.data, repeat }); d = Math.min(d, kr.duration); }
        k.close();
        row["kernel ns/run"] = d;
        if (kwant !== want || kr.retval !== r.retval) row["kernel ns/run"] = `retval ${kwant}/${kr.retval} != ${want}/${r.retval}`;
        row["e2e/kernel"] = r3(row["batch e2e ns/pkt"] / d);
        row["replay/kernel"] = r3(row["replay ns/pkt"] / d);
        row["repeat-style/kernel"] = r3(row["repeat-style in Wasm ns/pkt"] / d);
      } catch (e) { row["kernel ns/run"] = `unavailable: ${String(e?.message ?? e).split("\n")[0]}`; }
    }
    rows.push(row);
  }
  return rows;
}

/** `bpfkit run sum_loop.s --engine compiled --repeat 3` as a user runs it: its steady state against the benchmark's. */
function cliRepeat(benchSteady) {
  const cli = join(root, "dist", "cli", "main.js");
  if (!existsSync(cli)) return { program: "cli run --repeat 3", note: "npm run build first" };
  const res = spawnSync(process.execPath, [cli, "run", join(shared, "sum_loop.s"), "--type", "xdp", "--engine", "compiled", "--repeat", "3"], { encoding: "utf8" });
  const m = /(\d+) instructions, ([\d.]+) ns per run over runs 2-3 \(first run ([\d.]+) ns\)/.exec(res.stdout);
  if (!m) return { program: "cli run --repeat 3", note: `unexpected output: ${res.stdout}${res.stderr}`.slice(0, 200) };
  const insns = Number(m[1]);
  const steady = Number(m[2]) / insns, first = Number(m[3]) / insns;
  return { program: "cli: run sum_loop.s --engine compiled --repeat 3", "steady ns/insn": r3(steady), "first run ns/insn": r3(first), "bench steady (wall) ns/insn": r3(benchSteady), "cli/bench": r3(steady / benchSteady) };
}
