// `bpfkit run FILE`: run a program as BPF_PROG_TEST_RUN would, printing the return value and its action,
// what changed in the packet, trace_printk output and map changes. Every engine is opened through the one
// engine interface (src/engine/types.ts): `--engine auto` (default) runs the program compiled to
// WebAssembly when the verifier accepts it and on the interpreter (checked mode: clear errors for
// faults) when it does not; `interp`, `compiled` and `kernel` (BPF_PROG_TEST_RUN, src/kernel, imported
// only then) choose one. `--batch FILE.jsonl` runs many bundles, each with "runs": [{"data": hex}], one
// JSON line out per bundle, all runs of a bundle in one batch call; `--map NAME:KEY=VALUE` seeds maps.
import type { Command } from "commander";
import { readFile, writeFile } from "node:fs/promises";
import { BpfkitError, diag, formatDiagnostic } from "../../diagnostics/index.js";
import type { BpfEngine, EngineMap, EngineRunResult } from "../../engine/types.js";
import { fromHex, toHex } from "../../isa/index.js";
import { parseJson, bundleToProgram } from "../../program/bundle.js";
import { loadPrograms, pickProgram } from "../../load/node.js";
import { addTargetOptions, targetOptions } from "../target-options.js";
import type { Program } from "../../program/program.js";
// the runtime (interpreter, helpers, maps, compiler) is imported with the engine, not at start-up
import { MAX_REPEAT } from "../../runtime/limits.js";
import type { Mode } from "../../runtime/runtime.js";
import { progTypeByName } from "../../progtypes/index.js";
import { formatCtxValue } from "../../progtypes/context.js";
import { formatValue, type Shape } from "../../btf/values.js";
import { action } from "../run-command.js";
import { progChoice, progOption } from "../prog-option.js";
import { typeChoice, typeOption } from "../type-option.js";
import { chosenType } from "../../elf/type-choice.js";

interface Options {
  type?: string[]; data?: string; pcap?: string; pcapOut?: string; repeat?: string; json?: boolean; mode?: string; batch?: string;
  prog?: string; program?: string; budget?: string; cpu?: string; ctx?: string; engine?: string; map?: string[]; scenario?: string; btf?: string; kconfig?: string;
}

type EngineName = "auto" | "interp" | "compiled" | "kernel";

function engineName(text: string | undefined): EngineName {
  if (text === undefined || text === "auto") return "auto";
  if (text === "interp" || text === "interpreter") return "interp";
  if (text === "compiled" || text === "kernel") return text;
  throw new BpfkitError(diag("BK5013", { what: `--engine must be auto, interp, compiled or kernel, not '${text}'` }));
}

/** The engine the options name, through the engine interface; the kernel backend is imported only for it. */
async function engineFor(prog: Program, others: Program[], opts: Options): Promise<BpfEngine> {
  const name = engineName(opts.engine);
  // the object's other programs come along as libbpf loads them: not SEC("?...") ones, not ones of no known type
  const rest = others.filter((p) => p.name !== prog.name && p.autoload !== false && p.sectionHint === undefined);
  if (name === "kernel") {
    if (opts.cpu !== undefined) throw new BpfkitError(diag("BK5013", { what: "--cpu works only with the local engines (BPF_PROG_TEST_RUN picks the CPU for these program types)" }), 2);
    if (opts.budget !== undefined) throw new BpfkitError(diag("BK5013", { what: "--budget works only with the local engines" }), 2);
    if (opts.mode !== undefined) throw new BpfkitError(diag("BK5013", { what: "--mode works only with the local engines" }), 2);
    const k = await import("../../kernel/index.js");
    return k.openKernelEngine(prog, rest.length ? { others: rest } : {});
  }
  const { openEngine } = await import("../../engine/index.js");
  const m = mode(opts.mode);
  return openEngine(prog, {
    engine: name, others: rest, budget: intOption("budget", opts.budget, 100_000_000, 1),
    ...(m ? { mode: m } : {}),
  });
}

/**
 * `--map NAME:KEY=VALUE`: KEY and VALUE as hex bytes, decimal, dotted IPv4, IPv6 or ADDR/LEN (lpm_trie
 * keys), or by the map's BTF type (`{saddr: 10.0.0.1, dport: 80}`); the engine map reads them
 * (src/engine/typed-map.ts) with the same syntax as the kernel map commands (`bpfkit map update`).
 */
async function seedMaps(engine: BpfEngine, specs: string[] | undefined): Promise<void> {
  if (!specs?.length) return;
  for (const spec of specs) {
    const m = /^([^:=\s]+):(.+)=([^=]+)$/.exec(spec);
    if (!m) throw new BpfkitError(diag("BK5013", { what: `--map '${spec}' must be NAME:KEY=VALUE (e.g. blocklist_v4:192.0.2.0/24=1)` }), 2);
    const [, name, keyText, valueText] = m as unknown as [string, string, string, string];
    const view = engine.maps.get(name);
    if (!view) throw new BpfkitError(diag("BK5014", { map: name, what: `the program has no such map (it has ${[...engine.maps.keys()].join(", ") || "none"})` }), 2);
    view.update(keyText, valueText);
  }
}

function intOption(name: string, text: string | undefined, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (text === undefined) return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new BpfkitError(diag("BK5013", { what: `--${name} must be an integer >= ${min}, not '${text}'` }));
  if (n > max) throw new BpfkitError(diag("BK5013", { what: `--${name} must be at most ${max}, not '${text}'` }, {}, name === "repeat" ? "BPF_PROG_TEST_RUN's repeat is a u32; every engine keeps that bound" : undefined));
  return n;
}

function hexOption(name: string, text: string): Uint8Array {
  const b = fromHex(text);
  if (!b) throw new BpfkitError(diag("BK5013", { what: `--${name} is not hex bytes` }));
  return b;
}

function mode(text: string | undefined): Mode | undefined {
  if (text === undefined) return undefined;
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
  return !(prog.section.startsWith("socket") && retval === 0);
}

type Snapshot = Map<string, Map<string, string>>;
/** Map contents as text; per-CPU values list only the CPUs whose value is not zero (`cpu2:0100...`). */
function snapshot(maps: ReadonlyMap<string, EngineMap>): Snapshot {
  const out: Snapshot = new Map();
  for (const [name, m] of maps) {
    if (["ringbuf", "perf_event_array", "prog_array", "user_ringbuf"].includes(m.type)) continue;
    const entries = new Map<string, string>();
    // keys and values by the map's BTF type (addresses, prefixes, structs by field), raw bytes as hex
    const fmt = (shape: Shape, b: Uint8Array): string => (shape.kind === "bytes" ? toHex(b) : formatValue(shape, b));
    for (const e of m.entries()) {
      const zero = (b: Uint8Array) => b.every((x) => x === 0);
      const v = m.perCpu ? e.values.map((x, c) => (zero(x) ? "" : `cpu${c}:${fmt(m.valueShape, x.subarray(0, m.valueSize))}`)).filter(Boolean).join(",") : fmt(m.valueShape, e.values[0]!);
      if (m.type.includes("array") && (v === "" || zero(e.values[0]!) && !m.perCpu)) continue; // untouched array slots
      entries.set(fmt(m.keyShape, e.key), v || "0");
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
      const chosen = chosenType(typeChoice(opts), program.name, program.section);
      if (chosen !== undefined) program.section = chosen;
      const runs = extra.runs;
      if (!Array.isArray(runs)) throw new BpfkitError(diag("BK5016", { line: n + 1, what: "\"runs\" must be an array of {\"data\": hex}" }, { file, line: n + 1 }));
      const inputs = runs.map((r: unknown, i) => {
        const d = (r as { data?: unknown })?.data;
        if (typeof d !== "string") throw new BpfkitError(diag("BK5016", { line: n + 1, what: `runs[${i}].data must be a hex string` }, { file, line: n + 1 }));
        const bytes = fromHex(d);
        if (!bytes) throw new BpfkitError(diag("BK5016", { line: n + 1, what: `runs[${i}].data is not hex` }, { file, line: n + 1 }));
        return { data: bytes };
      });
      const engine = await engineFor(program, [program], opts);
      let results;
      try {
        await seedMaps(engine, opts.map);
        // One batch call per bundle: the engine pays its per-call costs once.
        // One batch per bundle (src/engine/batch.ts): per-call costs paid once, and the compiled engine runs
        // XDP packets in place with no record object per packet.
        const { runPackets } = await import("../../engine/batch.js"); // loaded by the commands that run packets only
        const sum = runPackets(engine, inputs.map((x) => x.data));
        results = Array.from({ length: sum.count }, (_, i) => {
          const error = sum.errors.get(i);
          if (!error) return { retval: sum.retval[i]!, data_out: toHex(sum.data(i)) };
          if (error instanceof BpfkitError) return { error: error.diagnostics.map(formatDiagnostic).join("\n") };
          throw error;
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
  return progTypeByName(prog.section)?.returnCodes.find((c) => (c.value >>> 0) === retval)?.name;
}

/** A 64-bit value in JSON: a number when exact, else its decimal string. */
const jsonInt = (v: bigint): number | string => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());
const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const fmtNs = (ns: number): string => (ns < 10 ? ns.toFixed(2) : ns < 100 ? ns.toFixed(1) : ns.toFixed(0));

export function register(program: Command): void {
  typeOption(addTargetOptions(progOption(program
    .command("run")
    .description("run a program (compiled, interpreted or in the kernel's BPF_PROG_TEST_RUN): return value, packet changes, trace output, map changes")
    .argument("[file]", "program file (.s, .json, .jsonl, .bin, .o)"), "which program of the file to run"))
    .option("--data <hex>", "packet bytes in hex (default: 64 zero bytes)")
    .option("--pcap <file>", "run once per packet of a pcap / pcapng file")
    .option("--pcap-out <file>", "save the packets the program lets through (as it left them) to a pcap file")
    .option("--ctx <hex>", "context struct bytes (ctx_in)")
    .option("--repeat <n>", `runs per packet, at most ${MAX_REPEAT} (the first run is timed apart from the steady state)`)
    .option("--mode <mode>", "interpreter mode: checked (every access checked, clear faults) or fast")
    .option("--budget <n>", "instructions a run may execute before it is stopped")
    .option("--cpu <n>", "virtual CPU the program runs on")
    .option("--engine <engine>", "auto (default: compiled to WebAssembly when the verifier accepts the program, else the interpreter), interp, compiled or kernel (BPF_PROG_TEST_RUN; root on Linux)", "auto")
    .option("--map <NAME:KEY=VALUE>", "seed a map entry before running (repeatable); KEY/VALUE as hex bytes, decimal, dotted IPv4, IPv6 or ADDR/LEN for lpm_trie keys", collect)
    .option("--json", "print JSON")
    .option("--batch <file>", "JSONL of bundles with \"runs\": [{\"data\": hex}]; one JSON line out per bundle")
    .option("--scenario <file>", "a socket-world scenario (sockets, connections, sends; docs/sockets.md) for sockops, sk_msg, sk_skb and sock_addr programs"))
    .action(action(async (file: string | undefined, opts: Options) => {
      if (opts.scenario !== undefined) return (await import("./run-scenario.js")).runScenarioCommand(file, { ...opts, scenario: opts.scenario });
      if (opts.batch !== undefined) return runBatch(opts.batch, opts);
      if (file === undefined) throw new BpfkitError(diag("BK5013", { what: "give a program file (or --batch FILE.jsonl)" }));
      const choice = typeChoice(opts);
      const all = await loadPrograms(file, { ...targetOptions(opts, opts.engine === "kernel"), ...(choice ? { type: choice } : {}) });
      const prog = pickProgram(all, file, progChoice(opts));
      const repeat = intOption("repeat", opts.repeat, 1, 1, MAX_REPEAT);
      const cpu = intOption("cpu", opts.cpu, 0);
      const ctx = opts.ctx !== undefined ? hexOption("ctx", opts.ctx) : undefined;
      const { packets: inputs, capture } = await packets(opts);
      const kept: import("../../packet/capture.js").CapturedPacket[] = [];
      const engine = await engineFor(prog, all, opts);
      const results: object[] = [];
      const warned = new Set<number>();
      // Long --repeat runs say how far they got (on stderr, about once a second).
      let shown = false;
      const progress = (done: number, total: number): void => {
        shown = true;
        process.stderr.write(`\rrun ${done.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} (${((100 * done) / total).toFixed(1)}%)`);
      };
      try {
        await seedMaps(engine, opts.map);
        // A capture runs as one batch (the engine's runBatch: compiled XDP packets run in place inside
        // WebAssembly) when the batch gives everything printed per packet: one run each, and no map whose
        // changes are listed per packet (a batch has only the maps after its last packet).
        const noMaps = snapshot(engine.maps).size === 0;
        const batch = inputs.length > 1 && repeat === 1 && noMaps
          ? engine.runBatch(inputs.map((data) => ({ data, cpu, ...(ctx ? { ctx } : {}) })))
          : undefined;
        // A batch's text goes out in chunks (one write per packet cost more than running it); a warning on
        // stderr first flushes what stdout has, so the two streams keep their order.
        const pending: string[] = [];
        const flush = (): void => { if (pending.length) process.stdout.write(pending.join("")); pending.length = 0; };
        try {
          for (const [index, data] of inputs.entries()) {
            const before = noMaps ? undefined : snapshot(engine.maps);
            const outcome = batch?.[index];
            if (outcome && !outcome.ok) throw outcome.error;
            const r: EngineRunResult = outcome ? outcome.result
              : engine.run({ data, repeat, cpu, ...(ctx ? { ctx } : {}), ...(repeat > 1 ? { onProgress: progress } : {}) });
            if (shown) { process.stderr.write("\n"); shown = false; }
            // warnings at a pc (uninitialized stack reads), once per pc for the whole command, on stderr
            for (const w of r.warnings ?? []) {
              if (warned.has(w.pc ?? -1)) continue;
              warned.add(w.pc ?? -1);
              if (!opts.json) { flush(); process.stderr.write(formatDiagnostic(w) + "\n"); }
            }
            const changes = before ? mapChanges(before, snapshot(engine.maps)) : [];
            const act = actionName(prog, opts, r.retval);
            if (packetSurvives(act, r.retval, prog, opts)) {
              const original = capture?.packets[index];
              kept.push({ timestamp: original?.timestamp ?? BigInt(index) * 1000n, data: r.data, originalLength: r.data.length });
            }
            if (opts.json) {
              results.push({
                retval: r.retval, ...(act ? { action: act } : {}), data_out: toHex(r.data), ...(r.ctx ? { ctx_out: toHex(r.ctx) } : {}),
                ...(r.ctxChanges ? { ctx_changes: r.ctxChanges.map((c) => ({ field: c.name, before: jsonInt(c.before), after: jsonInt(c.after) })) } : {}),
                trace: r.trace, ...(r.redirect ? { redirect: r.redirect } : {}), maps: changes, ...(r.insnCount !== undefined ? { insn_count: r.insnCount } : {}),
                engine: engine.kind, duration_ns: r.duration, ...(r.firstRun !== undefined && repeat > 1 ? { first_run_ns: r.firstRun } : {}),
                ringbuf: r.ringbuf.map((x) => ({ map: x.map, data: toHex(x.data) })), perf: r.perf.map((x) => ({ map: x.map, cpu: x.cpu, data: toHex(x.data) })),
                ...(r.warnings ? { warnings: r.warnings.map((w) => ({ pc: w.pc, code: w.code, message: w.message })) } : {}),
              });
              continue;
            }
            const out: string[] = [];
            if (inputs.length > 1) out.push(`${index > 0 ? "\n" : ""}# packet ${index + 1} of ${inputs.length} (${data.length} bytes)`);
            out.push(`retval ${r.retval} (0x${r.retval.toString(16)})${act ? ` ${act}` : ""}`);
            if (r.redirect) out.push(`redirect: ${JSON.stringify(r.redirect)}`);
            out.push(...packetDiff(data, r.data));
            for (const c of r.ctxChanges ?? []) out.push(`${c.name}: ${formatCtxValue(c, c.before)} -> ${formatCtxValue(c, c.after)}`);
            for (const t of r.trace) out.push(`trace: ${t.replace(/\n$/, "")}`);
            for (const c of changes) out.push(`map ${c.map}[${c.key}]: ${c.before ?? "(none)"} -> ${c.after ?? "(deleted)"}`);
            for (const x of r.ringbuf) out.push(`ringbuf ${x.map}: ${toHex(x.data)}`);
            for (const x of r.perf) out.push(`perf ${x.map} cpu ${x.cpu}: ${toHex(x.data)}`);
            const timing = repeat > 1 && r.firstRun !== undefined
              ? `${fmtNs(r.duration)} ns per run over runs 2-${repeat} (first run ${fmtNs(r.firstRun)} ns)`
              : `${fmtNs(r.duration)} ns per run`;
            out.push(`${r.insnCount !== undefined ? `${r.insnCount} instructions, ` : ""}${timing} (${engine.kind})`);
            pending.push(out.join("\n") + "\n");
            if (!batch || pending.length >= 512) flush();
          }
        } finally { flush(); }
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
