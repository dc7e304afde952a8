// `bpfkit run FILE`: run a program on the interpreter as BPF_PROG_TEST_RUN would, printing the return
// value and its action, what changed in the packet, trace_printk output and map changes.
// `--batch FILE.jsonl` runs many bundles, each with "runs": [{"data": hex}], one JSON line out per bundle.
import type { Command } from "commander";
import { readFile } from "node:fs/promises";
import { BpfkitError, diag, formatDiagnostic } from "../../diagnostics/index.js";
import { fromHex, toHex } from "../../isa/index.js";
import type { RuntimeMap } from "../../maps/runtime/index.js";
import { parseJson, bundleToProgram } from "../../program/bundle.js";
import { loadPrograms, pickProgram } from "../../program/load.js";
import { loadProgram, type Mode, type RunResult } from "../../runtime/runtime.js";
import { action } from "../run-command.js";

interface Options {
  type?: string; data?: string; pcap?: string; repeat?: string; json?: boolean; mode?: string; batch?: string;
  program?: string; budget?: string; cpu?: string; ctx?: string;
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

async function packets(opts: Options): Promise<Uint8Array[]> {
  if (opts.data !== undefined && opts.pcap !== undefined) throw new BpfkitError(diag("BK5013", { what: "give --data or --pcap, not both" }));
  if (opts.pcap !== undefined) {
    const { readPcap } = await import("../../packet/pcap.js");
    const bytes = new Uint8Array(await readFile(opts.pcap));
    return readPcap(bytes).packets.map((p) => p.data);
  }
  return [opts.data !== undefined ? hexOption("data", opts.data) : new Uint8Array(64)];
}

type Snapshot = Map<string, Map<string, string>>;
function snapshot(maps: Map<string, RuntimeMap>): Snapshot {
  const out: Snapshot = new Map();
  for (const [name, m] of maps) {
    if (["ringbuf", "perf_event_array", "prog_array"].includes(m.spec.type)) continue;
    const entries = new Map<string, string>();
    for (const e of m.entries()) {
      const v = Array.isArray(e.value) ? e.value.map(toHex).join(",") : toHex(e.value);
      if (m.spec.type.includes("array") && /^[0,]*$/.test(v)) continue; // untouched array slots
      entries.set(toHex(e.key), v);
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
      const rt = loadProgram(program, { mode: mode(opts.mode), ...(opts.type ? { type: opts.type } : {}) });
      const results = runs.map((r: unknown, i) => {
        const d = (r as { data?: unknown })?.data;
        if (typeof d !== "string") throw new BpfkitError(diag("BK5016", { line: n + 1, what: `runs[${i}].data must be a hex string` }, { file, line: n + 1 }));
        const bytes = fromHex(d);
        if (!bytes) throw new BpfkitError(diag("BK5016", { line: n + 1, what: `runs[${i}].data is not hex` }, { file, line: n + 1 }));
        try {
          const res = rt.run({ data: bytes });
          return { retval: res.retval, data_out: toHex(res.data) };
        } catch (err) {
          if (err instanceof BpfkitError) return { error: err.diagnostics.map(formatDiagnostic).join("\n") };
          throw err;
        }
      });
      process.stdout.write(JSON.stringify({ runs: results }) + "\n");
    } catch (err) {
      if (!(err instanceof BpfkitError)) throw err;
      failures++;
      process.stdout.write(JSON.stringify({ error: err.diagnostics.map(formatDiagnostic).join("\n") }) + "\n");
    }
  }
  return failures ? 1 : 0;
}

export function register(program: Command): void {
  program
    .command("run")
    .description("run a program on the interpreter (like BPF_PROG_TEST_RUN): return value, packet changes, trace output, map changes")
    .argument("[file]", "program file (.s, .json, .jsonl, .bin, .o)")
    .option("--type <type>", "program type / section name (xdp, tc, socket, cgroup_skb/ingress, ...)")
    .option("--program <name>", "which program of the file to run")
    .option("--data <hex>", "packet bytes in hex (default: 64 zero bytes)")
    .option("--pcap <file>", "run once per packet of a pcap / pcapng file")
    .option("--ctx <hex>", "context struct bytes (ctx_in)")
    .option("--repeat <n>", "runs per packet (duration is the average)")
    .option("--mode <mode>", "checked (every access checked, clear faults) or fast", "checked")
    .option("--budget <n>", "instructions a run may execute before it is stopped")
    .option("--cpu <n>", "virtual CPU the program runs on")
    .option("--json", "print JSON")
    .option("--batch <file>", "JSONL of bundles with \"runs\": [{\"data\": hex}]; one JSON line out per bundle")
    .action(action(async (file: string | undefined, opts: Options) => {
      if (opts.batch !== undefined) return runBatch(opts.batch, opts);
      if (file === undefined) throw new BpfkitError(diag("BK5013", { what: "give a program file (or --batch FILE.jsonl)" }));
      const all = await loadPrograms(file, opts.type !== undefined ? { type: opts.type } : {});
      const prog = pickProgram(all, file, opts.program);
      const rt = loadProgram(prog, {
        mode: mode(opts.mode), others: all, budget: intOption("budget", opts.budget, 100_000_000, 1),
        ...(opts.type !== undefined ? { type: opts.type } : {}),
      });
      const repeat = intOption("repeat", opts.repeat, 1, 1);
      const cpu = intOption("cpu", opts.cpu, 0);
      const ctx = opts.ctx !== undefined ? hexOption("ctx", opts.ctx) : undefined;
      const results: object[] = [];
      for (const data of await packets(opts)) {
        const before = snapshot(rt.maps);
        const r: RunResult = rt.run({ data, repeat, cpu, ...(ctx ? { ctx } : {}) });
        const changes = mapChanges(before, snapshot(rt.maps));
        if (opts.json) {
          results.push({
            retval: r.retval, ...(r.action ? { action: r.action } : {}), data_out: toHex(r.data), ...(r.ctx ? { ctx_out: toHex(r.ctx) } : {}),
            trace: r.trace, ...(r.redirect ? { redirect: r.redirect } : {}), maps: changes, insn_count: r.insnCount, duration_ns: r.duration,
            ringbuf: r.ringbuf.map((x) => ({ map: x.map, data: toHex(x.data) })), perf: r.perf.map((x) => ({ map: x.map, cpu: x.cpu, data: toHex(x.data) })),
          });
          continue;
        }
        const out: string[] = [`retval ${r.retval} (0x${r.retval.toString(16)})${r.action ? ` ${r.action}` : ""}`];
        if (r.redirect) out.push(`redirect: ${JSON.stringify(r.redirect)}`);
        out.push(...packetDiff(data, r.data));
        for (const t of r.trace) out.push(`trace: ${t.replace(/\n$/, "")}`);
        for (const c of changes) out.push(`map ${c.map}[${c.key}]: ${c.before ?? "(none)"} -> ${c.after ?? "(deleted)"}`);
        for (const x of r.ringbuf) out.push(`ringbuf ${x.map}: ${toHex(x.data)}`);
        for (const x of r.perf) out.push(`perf ${x.map} cpu ${x.cpu}: ${toHex(x.data)}`);
        out.push(`${r.insnCount} instructions, ${r.duration.toFixed(0)} ns per run`);
        process.stdout.write(out.join("\n") + "\n");
      }
      if (opts.json) process.stdout.write(JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + "\n");
      return 0;
    }));
}
