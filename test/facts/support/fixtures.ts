// Reading the kernel fixtures (recorded by scripts/record-facts-kernel.ts) and comparing the fact tables
// with them. Shared by the offline comparison test and the live re-check.
import { readFileSync } from "node:fs";
import { isHelperAllowed, helperForProgType } from "../../../src/helpers/table.js";
import { HELPER_NAMES } from "../../../src/isa/helper-names.js";
import { checkCtxAccess } from "../../../src/progtypes/index.js";
import { validateMapSpec } from "../../../src/maps/types.js";
import type { MapSpec } from "../../../src/program/program.js";
import type { MapCase, CtxKind } from "./probes.js";

const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")) as T;

export interface HelperTargetRecord { progType: number; attachType: number | null; allowed: number[]; gplOnly: number[] }
export interface HelpersFixture { kernel: string; maxHelper: number; targets: Record<string, HelperTargetRecord> }
/** What BPF_MAP_CREATE answered. */
export interface MapOutcome { ok: boolean; errno: number }
/**
 * `ok`/`errno`: the answer to a process with every capability. `lacking`: the answer where it differs
 * for a process without the named capabilities (`cap_sys_resource`, or `cap_a+cap_b`), as the recorder
 * saw it; an arena, for one, needs CAP_SYS_RESOURCE.
 */
export type MapCaseRecord = MapCase & MapOutcome & { lacking?: Record<string, MapOutcome> };
export interface MapsFixture { kernel: string; nrCpusConfig: number | null; cases: MapCaseRecord[] }
export interface CtxTargetRecord { progType: number; attachType: number | null; struct: string; probedFrom?: number; probedSize: number; ldx: string[]; ldsx: string[]; stx: string[]; st: string[] }
export interface CtxFixture { kernel: string; targets: Record<string, CtxTargetRecord> }

export const helpersFixture = (): HelpersFixture => read("kernel-helpers.json");
export const mapsFixture = (): MapsFixture => read("kernel-maps.json");
export const ctxFixture = (): CtxFixture => read("kernel-ctx.json");

const at = (a: number | null): number | undefined => (a === null ? undefined : a);
const hname = (id: number): string => HELPER_NAMES[id] ?? `#${id}`;

export interface Agreement { total: number; agree: number; disagreements: string[] }
const tally = (): Agreement => ({ total: 0, agree: 0, disagreements: [] });
function count(a: Agreement, same: boolean, what: () => string): void {
  a.total++;
  if (same) a.agree++;
  else a.disagreements.push(what());
}

/** isHelperAllowed vs the kernel, for every recorded target and helper id. */
export function compareHelperPermissions(fx: HelpersFixture): Agreement {
  const a = tally();
  for (const [key, t] of Object.entries(fx.targets)) {
    const allowed = new Set(t.allowed);
    for (let id = 1; id <= fx.maxHelper; id++) {
      const kernel = allowed.has(id);
      const ours = isHelperAllowed(t.progType, id, at(t.attachType));
      count(a, kernel === ours, () => `${key}: ${hname(id)}#${id}: kernel ${kernel ? "allows" : "refuses"}, table ${ours ? "allows" : "refuses"}`);
    }
  }
  return a;
}

/** gplOnly (of the prototype the program type sees) vs the kernel, for every helper the kernel allowed. */
export function compareGplOnly(fx: HelpersFixture): Agreement {
  const a = tally();
  for (const [key, t] of Object.entries(fx.targets)) {
    const gpl = new Set(t.gplOnly);
    for (const id of t.allowed) {
      const ours = helperForProgType(id, t.progType)?.gplOnly;
      count(a, ours === gpl.has(id), () => `${key}: ${hname(id)}#${id}: kernel gplOnly=${gpl.has(id)}, table ${ours}`);
    }
  }
  return a;
}

/** The MapSpec a map case stands for (BTF cases carry the type ids the probe used). */
export function caseSpec(c: MapCase): MapSpec {
  const spec: MapSpec = { name: "probe", type: c.type, keySize: c.keySize, valueSize: c.valueSize, maxEntries: c.maxEntries, flags: c.flags };
  if (c.extra !== undefined) spec.extra = c.extra;
  if (c.inner) spec.inner = { name: "inner", ...c.inner };
  if (c.btf) { spec.btfKeyTypeId = 1; spec.btfValueTypeId = 3; }
  return spec;
}

/** The key of `lacking` for a set of missing capabilities. */
export const lackingKey = (missing: readonly string[]): string => [...missing].sort().join("+");

/**
 * What the kernel should answer for a case to a process that lacks `missing` capabilities: the recorded
 * answer for that set where there is one, the fully privileged answer where none was recorded or nothing
 * is missing. `recorded` says which.
 */
export function expectedMapOutcome(c: MapCaseRecord, missing: readonly string[]): MapOutcome & { recorded: "privileged" | "lacking" } {
  const l = missing.length ? c.lacking?.[lackingKey(missing)] : undefined;
  return l ? { ...l, recorded: "lacking" } : { ok: c.ok, errno: c.errno, recorded: "privileged" };
}

/** validateMapSpec (no diagnostics = accepted) vs MAP_CREATE. */
export function compareMaps(fx: MapsFixture): Agreement {
  const a = tally();
  const options = fx.nrCpusConfig ? { nrCpus: fx.nrCpusConfig } : {};
  for (const c of fx.cases) {
    const d = validateMapSpec(caseSpec(c), options);
    count(a, (d.length === 0) === c.ok, () => `${c.label}: kernel ${c.ok ? "creates it" : `refuses (errno ${c.errno})`}, validateMapSpec ${d.length ? `refuses: ${d[0]!.message}` : "accepts"}`);
  }
  return a;
}

/** checkCtxAccess vs the verifier, for every offset from probedFrom (or 0) below probedSize, size 1/2/4/8 (ldsx: 1/2/4), loads,
 * sign-extending loads and both store forms. */
export function compareCtx(fx: CtxFixture, kinds: readonly CtxKind[] = ["ldx", "ldsx", "stx", "st"]): Agreement {
  const a = tally();
  for (const [key, t] of Object.entries(fx.targets)) {
    for (const kind of kinds) {
      const accepted = new Set(t[kind]);
      const sizes = kind === "ldsx" ? [1, 2, 4] as const : [1, 2, 4, 8] as const;
      for (let off = t.probedFrom ?? 0; off < t.probedSize; off++) for (const size of sizes) {
        const kernel = accepted.has(`${off}:${size}`);
        const write = kind === "stx" || kind === "st";
        const r = checkCtxAccess(t.progType, { off, size, write, ...(kind === "ldsx" ? { signExtend: true } : {}) }, at(t.attachType));
        count(a, r.ok === kernel, () => `${key}: ${kind} ${size} bytes at ${t.struct}+${off}: kernel ${kernel ? "accepts" : "refuses"}, checkCtxAccess ${r.ok ? `accepts (${r.field.name})` : `refuses (${r.reason})`}`);
      }
    }
  }
  return a;
}
