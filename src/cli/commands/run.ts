// `bpfkit run FILE`: run a program on the interpreter as BPF_PROG_TEST_RUN would, printing the return
// value and its action, what changed in the packet, trace_printk output and map changes.
// `--batch FILE.jsonl` runs many bundles, each with "runs": [{"data": hex}], one JSON line out per bundle.
// `--engine kernel` runs the same through BPF_PROG_TEST_RUN (src/kernel, imported only then), with the same
// output; `--map NAME:KEY=VALUE` seeds maps before the first run on either engine.
import type { Command } from "commander";
import { readFile, writeFile } from "node:fs/promises";
import { BpfkitError, diag, formatDiagnostic } from "../../diagnostics/index.js";
import { fromHex, toHex } from "../../isa/index.js";
import type { RuntimeMap } from "../../maps/runtime/index.js";
import { parseJson, bundleToProgram } from "../../program/bundle.js";
import { loadPrograms, pickProgram } from "../../load/node.js";
import { addTargetOptions, targetOptions } from "../target-options.js";
import { mapTypeByName } from "../../maps/types.js";
import type { Program } from "../../program/program.js";
import { loadProgram, resolveProgType, type Mode } from "../../runtime/runtime.js";
import { action } from "../run-command.js";

interface Options {
  type?: string; data?: string; pcap?: string; pcapOut?: string; repeat?: string; json?: boolean; mode?: string; batch?: string;
  program?: string; budget?: string; cpu?: string; ctx?: string; engine?: string; map?: string[]; btf?: string; kconfig?: string;
}

/** What the output needs from a run, whichever engine made it. */
interface EngineRun {
  retval: number; data: Uint8Array; ctx?: Uint8Array; trace: string[]; redirect?: object; insnCount?: number; duration: number;
  ringbuf: { map: string; data: Uint8Array }[]; perf: { map: string; cpu: number; data: Uint8Array }[];
}
interface MapView { type: string; keySize: number; valueSize: number; perCpu: boolean; entries(): { key: Uint8Array; values: Uint8Array[] }[] }
interface CliEngine {
  maps: Map<string, MapView>;
  seed(name: string, key: Uint8Array, value: Uint8Array): void;
  run(input: { data: Uint8Array; ctx?: Uint8Array; repeat: number; cpu: number }): EngineRun;
  close(): void;
}
type EngineName = "interp" | "kernel";

function engineName(text: string | undefined): EngineName {
  if (text === undefined || text === "interp" || text === "interpreter") return "interp";
  if (text === "kernel") return "kernel";
  throw new BpfkitError(diag("BK5013", { what: `--engine must be interp or kernel, not '${text}'` }));
}

function interpEngine(prog: Program, others: Program[], opts: Options): CliEngine {
  const rt = loadProgram(prog, {
    mode: mode(opts.mode), others, budget: intOption("budget", opts.budget, 100_000_000, 1),
    ...(opts.type !== undefined ? { type: opts.type } : {}),
  });
  const maps = new Map<string, MapView>();
  for (const [name, m] of rt.maps) {
    maps.set(name, { type: m.spec.type, keySize: m.spec.keySize, valueSize: m.spec.valueSize, perCpu: m.perCpu,
      entries: () => m.entries().map((e) => ({ key: e.key, values: Array.isArray(e.value) ? e.value : [e.value] })) });
  }
  return {
    maps,
    seed(name, key, value) {
      const m = rt.maps.get(name)!;
      const r = m.set(key, m.perCpu ? Array.from({ length: rt.cpus }, () => value) : value);
      if (r < 0) throw new BpfkitError(diag("BK5014", { map: name, what: `seeding the entry failed (errno ${-r})` }), 2);
    },
    run: (input) => rt.run(input),
    close() { /* nothing held outside the process */ },
  };
}

/** The kernel engine, loaded lazily so the interpreter never needs the kernel backend. */
async function kernelEngine(prog: Program, others: Program[], opts: Options): Promise<CliEngine> {
  const k = await import("../../kernel/index.js");
  const problem = k.kernelBackendProblem();
  if (problem) throw new BpfkitError(diag("BK5013", { what: `--engine kernel is not available here: ${problem}` }, {}, "use --engine interp (the default)"), 2);
  if (opts.cpu !== undefined) throw new BpfkitError(diag("BK5013", { what: "--cpu works only with --engine interp (BPF_PROG_TEST_RUN picks the CPU for these program types)" }), 2);
  if (opts.budget !== undefined) throw new BpfkitError(diag("BK5013", { what: "--budget works only with --engine interp" }), 2);
  const typed = opts.type !== undefined ? { ...prog, section: opts.type } : prog;
  const engine = new k.KernelEngine(typed, others.length > 1 ? { others: others.filter((p) => p.name !== prog.name) } : {});
  const cpus = k.possibleCpus();
  const maps = new Map<string, MapView>();
  for (const [name, m] of engine.mapsByName) {
    const perCpu = mapTypeByName(m.spec.type)?.perCpu ?? false;
    maps.set(name, { type: m.spec.type, keySize: m.spec.keySize, valueSize: m.spec.valueSize, perCpu, entries: () => k.readMapEntries(m.fd) });
  }
  return {
    maps,
    seed(name, key, value) {
      const m = engine.mapsByName.get(name)!;
      let bytes = value;
      if (maps.get(name)!.perCpu) {
        const size = k.userValueSize(mapTypeByName(m.spec.type)!.id, m.spec.valueSize);
        const stride = size / cpus;
        bytes = new Uint8Array(size);
        for (let off = 0; off < size; off += stride) bytes.set(value, off);
      }
      k.mapUpdate(m.fd, key, bytes);
    },
    run(input) {
      const r = engine.run({ data: input.data, repeat: input.repeat, ...(input.ctx ? { ctx: input.ctx } : {}) });
      return { retval: r.retval >>> 0, data: r.data, ...(r.ctx ? { ctx: r.ctx } : {}), trace: [], duration: r.duration, ringbuf: [], perf: [] };
    },
    close: () => engine.close(),
  };
}

async function makeEngine(name: EngineName, prog: Program, others: Program[], opts: Options): Promise<CliEngine> {
  return name === "kernel" ? kernelEngine(prog, others, opts) : interpEngine(prog, others, opts);
}

/** `--map NAME:KEY=VALUE`: KEY and VALUE as hex bytes, decimal, dotted IPv4, IPv6 or ADDR/LEN (lpm_trie keys). */
async function seedMaps(engine: CliEngine, specs: string[] | undefined): Promise<void> {
  if (!specs?.length) return;
  // The key/value syntax is the kernel map commands' (`bpfkit map update`), so both read the same way.
  const { parseBytes } = await import("../../maps/values.js");
  for (const spec of specs) {
    const m = /^([^:=\s]+):(.+)=([^=]+)$/.exec(spec);
    if (!m) throw new BpfkitError(diag("BK5013", { what: `--map '${spec}' must be NAME:KEY=VALUE (e.g. blocklist_v4:192.0.2.0/24=1)` }), 2);
    const [, name, keyText, valueText] = m as unknown as [string, string, string, string];
    const view = engine.maps.get(name);
    if (!view) throw new BpfkitError(diag("BK5014", { map: name, what: `the program has no such map (it has ${[...engine.maps.keys()].join(", ") || "none"})` }), 2);
    engine.seed(name, parseBytes(keyText, view.keySize, `key of map '${name}'`), parseBytes(valueText, view.valueSize, `value of map '${name}'`));
  }
}

async function engineFor(prog: Program, others: Program[], opts: Options): Promise<CliEngine> {
  return makeEngine(engineName(opts.engine), prog, others, opts);
}

function intOption(name: string, text: string | undefined, def: number, min = 0): number {
  if (text === undefined) return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new BpfkitError(diag("BK5013", { what: `--${name} must be an integer >= ${min}, not '${text}'` }));
  return n;
}

function hexOption(name: string, text: string): Uint8Array {
  const b = fromHex(text);
  if (!b) throw new BpfkitError(diag("BK5013", { what: `--${name} is not hex bytes` }));
  return b;
}

function mode(text: string | undefined): Mode {
  if (text === undefined) return "checked";
  if (text !== "checked" && text !== "fast") throw new BpfkitError(diag("BK5013", { what: `--mode must be checked or fast, not '${text}'` }));
  return text;
}

interface Inputs {
  packets: Uint8Array[];
  /** The capture the packets came from (--pcap), so --pcap-out keeps its timestamps and link type. */
  capture?: import("../../packet/capture.js").Capture;
}

async function packets(opts: Options): Promise<Inputs> {
  if (opts.data !== undefined && opts.pcap !== undefined) throw new BpfkitError(diag("BK5013", { what: "give --data or --pcap, not both" }));
  if (opts.pcap !== undefined) {
    const { readCapture } = await import("../../packet/index.js");
    const bytes = new Uint8Array(await readFile(opts.pcap));
    const capture = readCapture(bytes);
    return { packets: capture.packets.map((p) => p.data), capture };
  }
  return { packets: [opts.data !== undefined ? hexOption("data", opts.data) : new Uint8Array(64)] };
}

/**
 * Whether a packet goes on after the program: kept for --pcap-out. Drop/shot/abort verdicts lose
 * the packet; everything else (pass, tx, redirect, a socket filter's non-zero length) keeps it.
 */
function packetSurvives(act: string | undefined, retval: number, prog: Program, opts: Options): boolean {
  if (act !== undefined) return !/(DROP|ABORTED|SHOT|STOLEN|TRAP)$/.test(act);
  const section = opts.type ?? prog.section;
  return !(section.startsWith("socket") && retval === 0);
}

type Snapshot = Map<string, Map<string, string>>;
/** Map contents as text; per-CPU values list only the CPUs whose value is not zero (`cpu2:0100...`). */
function snapshot(maps: Map<string, MapView>): Snapshot {
  const out: Snapshot = new Map();
  for (const [name, m] of maps) {
    if (["ringbuf", "perf_event_array", "prog_array", "user_ringbuf"].includes(m.type)) continue;
    const entries = new Map<string, string>();
    for (const e of m.entries()) {
      const zero = (b: Uint8Array) => b.every((x) => x === 0);
      const v = m.perCpu ? e.values.map((x, c) => (zero(x) ? "" : `cpu${c}:${toHex(x.subarray(0, m.valueSize))}`)).filter(Boolean).join(",") : toHex(e.values[0]!);
      if (m.type.includes("array") && (v === "" || zero(e.values[0]!) && !m.perCpu)) continue; // untouched array slots
      entries.set(toHex(e.key), v || "0");
    }
    out.set(name, entries);
  }
  return out;
}
function mapChanges(before: Snapshot, after: Snapshot): { map: string; key: string; before?: string; after?: string }[] {
  const out: { map: string; key: string; before?: string; after?: string }[] = [];
  for (const [name, a] of after) {
    const b = before.get(name) ?? new Map<string, string>();
    for (const [k, v] of a) if (b.get(k) !== v) out.push({ map: name, key: k, ...(b.has(k) ? { before: b.get(k)! } : {}), after: v });
    for (const [k, v] of b) if (!a.has(k)) out.push({ map: name, key: k, before: v });
  }
  return out;
}

function packetDiff(input: Uint8Array, output: Uint8Array): string[] {
  if (input.length === output.length && input.every((b, i) => b === output[i])) return ["packet unchanged"];
  const lines: string[] = [];
  if (input.length !== output.length) {
    lines.push(`packet length ${input.length} -> ${output.length}`);
    lines.push(`out: ${toHex(output)}`);
    return lines;
  }
  let i = 0;
  while (i < input.length) {
    if (input[i] === output[i]) { i++; continue; }
    let j = i;
    while (j < input.length && input[j] !== output[j]) j++;
    lines.push(`packet+${i}: ${toHex(input.subarray(i, j))} -> ${toHex(output.subarray(i, j))}`);
    i = j;
  }
  return lines;
}

async function runBatch(file: string, opts: Options): Promise<number> {
  const text = await readFile(file, "utf8");
  let failures = 0;
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (!line) continue;
    try {
      const obj = parseJson(line, file, n) as Record<string, unknown>;
      const { program, extra } = bundleToProgram(obj, { file, line: n + 1 });
      const runs = extra.runs;
      if (!Array.isArray(runs)) throw new BpfkitError(diag("BK5016", { line: n + 1, what: "\"runs\" must be an array of {\"data\": hex}" }, { file, line: n + 1 }));
      const engine = await engineFor(program, [program], opts);
      let results;
      try {
        await seedMaps(engine, opts.map);
        results = runs.map((r: unknown, i) => {
          const d = (r as { data?: unknown })?.data;
          if (typeof d !== "string") throw new BpfkitError(diag("BK5016", { line: n + 1, what: `runs[${i}].data must be a hex string` }, { file, line: n + 1 }));
          const bytes = fromHex(d);
          if (!bytes) throw new BpfkitError(diag("BK5016", { line: n + 1, what: `runs[${i}].data is not hex` }, { file, line: n + 1 }));
          try {
            const res = engine.run({ data: bytes, repeat: 1, cpu: 0 });
            return { retval: res.retval, data_out: toHex(res.data) };
          } catch (err) {
            if (err instanceof BpfkitError) return { error: err.diagnostics.map(formatDiagnostic).join("\n") };
            throw err;
          }
        });
      } finally { engine.close(); }
      process.stdout.write(JSON.stringify({ runs: results }) + "\n");
    } catch (err) {
      if (!(err instanceof BpfkitError)) throw err;
      failures++;
      process.stdout.write(JSON.stringify({ error: err.diagnostics.map(formatDiagnostic).join("\n") }) + "\n");
    }
  }
  return failures ? 1 : 0;
}

/** The return code's name (XDP_DROP, TC_ACT_SHOT...) for the program's type. */
function actionName(prog: Program, opts: Options, retval: number): string | undefined {
  const { info } = resolveProgType(opts.type ?? prog.section);
  return info.returnCodes.find((c) => (c.value >>> 0) === retval)?.name;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function register(program: Command): void {
  addTargetOptions(program
    .command("run")
    .description("run a program on the interpreter or the kernel (BPF_PROG_TEST_RUN): return value, packet changes, trace output, map changes")
    .argument("[file]", "program file (.s, .json, .jsonl, .bin, .o)")
    .option("--type <type>", "program type / section name (xdp, tc, socket, cgroup_skb/ingress, ...)")
    .option("--program <name>", "which program of the file to run")
    .option("--data <hex>", "packet bytes in hex (default: 64 zero bytes)")
    .option("--pcap <file>", "run once per packet of a pcap / pcapng file")
    .option("--pcap-out <file>", "save the packets the program lets through (as it left them) to a pcap file")
    .option("--ctx <hex>", "context struct bytes (ctx_in)")
    .option("--repeat <n>", "runs per packet (duration is the average)")
    .option("--mode <mode>", "checked (every access checked, clear faults) or fast", "checked")
    .option("--budget <n>", "instructions a run may execute before it is stopped")
    .option("--cpu <n>", "virtual CPU the program runs on")
    .option("--engine <engine>", "interp (the WebAssembly interpreter, default) or kernel (BPF_PROG_TEST_RUN; root on Linux)", "interp")
    .option("--map <NAME:KEY=VALUE>", "seed a map entry before running (repeatable); KEY/VALUE as hex bytes, decimal, dotted IPv4, IPv6 or ADDR/LEN for lpm_trie keys", collect)
    .option("--json", "print JSON")
    .option("--batch <file>", "JSONL of bundles with \"runs\": [{\"data\": hex}]; one JSON line out per bundle"))
    .action(action(async (file: string | undefined, opts: Options) => {
      if (opts.batch !== undefined) return runBatch(opts.batch, opts);
      if (file === undefined) throw new BpfkitError(diag("BK5013", { what: "give a program file (or --batch FILE.jsonl)" }));
      const all = await loadPrograms(file, { ...targetOptions(opts, opts.engine === "kernel"), ...(opts.type !== undefined ? { type: opts.type } : {}) });
      const prog = pickProgram(all, file, opts.program);
      const repeat = intOption("repeat", opts.repeat, 1, 1);
      const cpu = intOption("cpu", opts.cpu, 0);
      const ctx = opts.ctx !== undefined ? hexOption("ctx", opts.ctx) : undefined;
      const { packets: inputs, capture } = await packets(opts);
      const kept: import("../../packet/capture.js").CapturedPacket[] = [];
      const engine = await engineFor(prog, all, opts);
      const results: object[] = [];
      try {
        await seedMaps(engine, opts.map);
        for (const [index, data] of inputs.entries()) {
          const before = snapshot(engine.maps);
          const r: EngineRun = engine.run({ data, repeat, cpu, ...(ctx ? { ctx } : {}) });
          const changes = mapChanges(before, snapshot(engine.maps));
          const act = actionName(prog, opts, r.retval);
          if (packetSurvives(act, r.retval, prog, opts)) {
            const original = capture?.packets[index];
            kept.push({ timestamp: original?.timestamp ?? BigInt(index) * 1000n, data: r.data, originalLength: r.data.length });
          }
          if (opts.json) {
            results.push({
              retval: r.retval, ...(act ? { action: act } : {}), data_out: toHex(r.data), ...(r.ctx ? { ctx_out: toHex(r.ctx) } : {}),
              trace: r.trace, ...(r.redirect ? { redirect: r.redirect } : {}), maps: changes, ...(r.insnCount !== undefined ? { insn_count: r.insnCount } : {}), duration_ns: r.duration,
              ringbuf: r.ringbuf.map((x) => ({ map: x.map, data: toHex(x.data) })), perf: r.perf.map((x) => ({ map: x.map, cpu: x.cpu, data: toHex(x.data) })),
            });
            continue;
          }
          const out: string[] = [];
          if (inputs.length > 1) out.push(`${index > 0 ? "\n" : ""}# packet ${index + 1} of ${inputs.length} (${data.length} bytes)`);
          out.push(`retval ${r.retval} (0x${r.retval.toString(16)})${act ? ` ${act}` : ""}`);
          if (r.redirect) out.push(`redirect: ${JSON.stringify(r.redirect)}`);
          out.push(...packetDiff(data, r.data));
          for (const t of r.trace) out.push(`trace: ${t.replace(/\n$/, "")}`);
          for (const c of changes) out.push(`map ${c.map}[${c.key}]: ${c.before ?? "(none)"} -> ${c.after ?? "(deleted)"}`);
          for (const x of r.ringbuf) out.push(`ringbuf ${x.map}: ${toHex(x.data)}`);
          for (const x of r.perf) out.push(`perf ${x.map} cpu ${x.cpu}: ${toHex(x.data)}`);
          out.push(`${r.insnCount !== undefined ? `${r.insnCount} instructions, ` : ""}${r.duration.toFixed(0)} ns per run`);
          process.stdout.write(out.join("\n") + "\n");
        }
      } finally { engine.close(); }
      if (opts.json) process.stdout.write(JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + "\n");
      if (opts.pcapOut !== undefined) {
        const { writePcap } = await import("../../packet/pcap.js");
        await writeFile(opts.pcapOut, writePcap(kept, capture ? { linkType: capture.linkType } : {}));
        if (!opts.json) process.stdout.write(`\nwrote ${kept.length} of ${inputs.length} packet(s) to ${opts.pcapOut}\n`);
      }
      return 0;
    }));
}
