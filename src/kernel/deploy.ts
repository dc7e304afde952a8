// Deployments: programs loaded together (sharing maps by name), attached, and pinned under
// <bpffs>/bpfkit/<name>/{maps,progs,links}/ so they outlive the process. bpffs holds only BPF objects, so
// the manifest (what was deployed where, as JSON) is itself pinned there as a one-entry array map
// `manifest`; it goes away with the deployment. A deployment that fails half-way removes what it made.
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BpfkitError, diag } from "../diagnostics/index.js";
import type { Program } from "../program/index.js";
import { AttachType, attachTypeId } from "../progtypes/index.js";
import { attach, type AttachTarget, type TcDirection, type XdpMode } from "./attach.js";
import { bpffsRoot, ensureBpffs, removeTree } from "./bpffs.js";
import { linkDetach, linkInfo, mapCreate, mapDelete, mapInfo, mapLookup, mapUpdate, objGet, objPin, progInfo } from "./commands.js";
import type { ElfObject } from "../elf/object.js";
import { resolveTarget } from "../load/target-node.js";
import { u32Key } from "./maps.js";
import { registerStructOps } from "./struct-ops.js";
import { KernelError } from "./errors.js";
import { loadObjectIntoKernel, progTypeLabel, type KernelLoadOptions } from "./loader.js";
import { mapTypeById, mapTypeByName } from "../maps/types.js";
import { linkTypeName } from "./numbers.js";
import { closeFd } from "./sys.js";

/** Where one program goes, in a form that can be written to JSON (deployment files, the manifest). */
export interface AttachSpec {
  /**
   * xdp IFACE, tc IFACE, sockops CGROUP-PATH, sk_msg / sk_skb MAP-NAME, cgroup CGROUP-PATH (with attachType),
   * struct_ops MAP-NAME (the object's struct_ops map that binds the program: registered once its programs load), none.
   */
  type: "xdp" | "tc" | "sockops" | "sk_msg" | "sk_skb" | "cgroup" | "struct_ops" | "none";
  target?: string;
  mode?: XdpMode;
  direction?: TcDirection;
  /** Network namespace (name under /run/netns) of the interface. */
  netns?: string;
  /** For `cgroup`: the attach type name (`cgroup_inet_ingress`); for `sk_skb`: stream_verdict (default), stream_parser, verdict. */
  attachType?: string;
}

export interface DeployProgram {
  program: Program;
  attach: AttachSpec;
}

export interface ManifestProgram {
  name: string;
  id: number;
  tag: string;
  type: string;
  attach: AttachSpec;
  /** Pin path of the link, relative to the deployment folder (absent for attach type none). */
  link?: string;
  linkId?: number;
}
export interface Manifest {
  name: string;
  created: string;
  programs: ManifestProgram[];
  maps: { name: string; id: number; type: string; pin: string }[];
}

export const deploymentDir = (name: string): string => join(bpffsRoot(), name);
/** bpffs refuses names with '.' (EPERM): global data maps (`obj.rodata`) are pinned as `obj_rodata`, as libbpf does. */
export const pinName = (name: string): string => name.replace(/\./g, "_");
const XDP_MODES: readonly string[] = ["skb", "native", "auto"];
const ATTACH_TYPES: readonly string[] = ["xdp", "tc", "sockops", "sk_msg", "sk_skb", "cgroup", "struct_ops", "none"];
// bpffs refuses a '.' in any name below its root (bpf_lookup: "reserved for future extensions"), so a
// deployment name, which becomes a directory there, may not have one.
const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The deployment name a file gives when none is chosen: its base name up to the first '.', so that
 * `x.bpf.o` and `x.json` both give `x`; characters bpffs or the manifest would refuse become '_'.
 */
export function deploymentNameOf(file: string): string {
  const base = file.slice(file.lastIndexOf("/") + 1);
  const stem = base.split(".")[0] || base.replace(/\./g, "_");
  return stem.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "deployment";
}
const MANIFEST = "manifest";

/** Values an AttachSpec may hold (deployment files and API callers are not type-checked): exit 2 otherwise. */
export function checkAttachSpec(spec: AttachSpec, progName: string): void {
  const bad = (what: string, value: unknown, expected: string): never => {
    throw new BpfkitError(diag("BK7012", { what: `${what} of program '${progName}'`, value: String(value), expected }), 2);
  };
  if (!ATTACH_TYPES.includes(spec.type)) bad("attach type", spec.type, `expected one of ${ATTACH_TYPES.join(", ")}`);
  if (spec.mode !== undefined && (spec.type !== "xdp" || !XDP_MODES.includes(spec.mode))) {
    bad("XDP mode", spec.mode, spec.type === "xdp" ? `expected one of ${XDP_MODES.join(", ")}` : "a mode applies to xdp attachments only");
  }
  if (spec.direction !== undefined && (spec.type !== "tc" || !["ingress", "egress"].includes(spec.direction))) {
    bad("tc direction", spec.direction, spec.type === "tc" ? "expected ingress or egress" : "a direction applies to tc attachments only");
  }
}

function targetOf(spec: AttachSpec, maps: ReadonlyMap<string, { fd: number }>, progName: string): AttachTarget | undefined {
  const need = (what: string): string => {
    if (!spec.target) throw new BpfkitError(diag("BK7010", { name: progName, reason: `attach type ${spec.type} needs ${what}` }), 2);
    return spec.target;
  };
  switch (spec.type) {
    case "none": return undefined;
    // registered after every program of the deployment loaded (registerStructOps)
    case "struct_ops": return undefined;
    case "xdp":
      return { kind: "xdp", iface: need("an interface"), mode: spec.mode ?? "auto", ...(spec.netns ? { netns: spec.netns } : {}) };
    case "tc":
      return { kind: "tc", iface: need("an interface"), direction: spec.direction ?? "ingress", ...(spec.netns ? { netns: spec.netns } : {}) };
    case "sockops": return { kind: "cgroup", path: need("a cgroup v2 folder"), attachType: AttachType.CGROUP_SOCK_OPS };
    case "cgroup": {
      const at = spec.attachType !== undefined ? attachTypeId(spec.attachType) : undefined;
      if (at === undefined) throw new BpfkitError(diag("BK7010", { name: progName, reason: `unknown cgroup attach type '${spec.attachType ?? ""}'` }), 2);
      return { kind: "cgroup", path: need("a cgroup v2 folder"), attachType: at };
    }
    case "sk_msg":
    case "sk_skb": {
      const mapName = need("a sockmap or sockhash name");
      const map = maps.get(mapName);
      if (!map) throw new BpfkitError(diag("BK7011", { name: mapName, where: ` among the maps of this deployment (${[...maps.keys()].join(", ") || "none"})` }), 2);
      const kind = spec.type === "sk_msg" ? "sk_msg" : ((spec.attachType ?? "stream_verdict") as "stream_verdict" | "stream_parser" | "verdict");
      return { kind: "sockmap", mapFd: map.fd, attach: kind };
    }
  }
}

/**
 * Programs of the same object that `program`'s prog_array slots name (tail-call targets), and theirs in
 * turn: they must be loaded with it (unattached) for the slots to be filled, as libbpf loads the whole object.
 */
export function tailCallTargets(program: Program, objectPrograms: readonly Program[]): Program[] {
  const out: Program[] = [];
  const seen = new Set([program.name]);
  const queue = [program];
  while (queue.length) {
    const p = queue.shift()!;
    for (const m of p.maps) {
      if (m.type !== "prog_array") continue;
      for (const slot of m.initialSlots ?? []) {
        if (seen.has(slot.target)) continue;
        const target = objectPrograms.find((q) => q.name === slot.target);
        if (!target) continue; // fillSlots reports it (BK7015)
        seen.add(slot.target);
        out.push(target);
        queue.push(target);
      }
    }
  }
  return out;
}

export interface DeployOptions extends KernelLoadOptions {
  /** Replace an existing deployment of the same name. */
  replace?: boolean;
  /** The ELF object of `struct_ops` attachments: its struct_ops maps' contents (ElfObject.structOps). */
  object?: ElfObject;
}

/** Load, attach and pin; returns the manifest. Nothing is left behind when it fails. */
export function deploy(name: string, items: readonly DeployProgram[], options: DeployOptions = {}): Manifest {
  if (!NAME_RE.test(name)) throw new BpfkitError(diag("BK7012", { what: "deployment name", value: name, expected: "letters, digits, '_' and '-' (at most 64; bpffs refuses '.' in names)" }), 2);
  // Before anything changes (a bad spec must not cost an existing deployment replaced by this one).
  for (const item of items) checkAttachSpec(item.attach, item.program.name);
  ensureBpffs();
  const dir = deploymentDir(name);
  if (existsSync(dir)) {
    if (!options.replace) throw new BpfkitError(diag("BK7009", { name, dir: bpffsRoot() }, {}, `remove it first with \`bpfkit detach ${name}\``), 2);
    detachDeployment(name);
  }
  const obj = loadObjectIntoKernel(items.map((i) => i.program), options);
  const links: number[] = [];
  /** Plain struct_ops maps registered (their fds): unregistered again if the deployment fails. */
  const registeredMaps: number[] = [];
  let made = false;
  try {
    for (const sub of ["maps", "progs", "links"]) mkdirSync(join(dir, sub), { recursive: true });
    made = true;
    const manifest: Manifest = { name, created: new Date().toISOString(), programs: [], maps: [] };
    for (const [mapName, m] of obj.maps) {
      const pin = `maps/${pinName(mapName)}`;
      objPin(m.fd, join(dir, pin));
      manifest.maps.push({ name: mapName, id: m.id, type: m.spec.type, pin });
    }
    // struct_ops maps: registered with the fds of the programs just loaded; the link (or, for a plain map, the
    // map, which stays registered until its value is deleted) is pinned
    const stOps = [...new Set(items.filter((i) => i.attach.type === "struct_ops").map((i) => i.attach.target ?? ""))];
    if (stOps.length && !options.object) throw new BpfkitError(diag("BK7030", { map: stOps[0]!, reason: "deploying a struct_ops map needs its ELF object" }), 2);
    const stOpsLinks = new Map<string, { pin: string; id: number }>();
    for (const mapName of stOps) {
      const reg = registerStructOps(options.object!, mapName, new Map(obj.programs.map((p) => [p.name, p.fd])), resolveTarget({ forKernel: true }).btf());
      if (reg.linkFd !== undefined) {
        links.push(reg.linkFd);
        const pin = `links/struct_ops-${pinName(mapName)}`;
        objPin(reg.linkFd, join(dir, pin));
        stOpsLinks.set(mapName, { pin, id: linkInfo(reg.linkFd).id });
      } else registeredMaps.push(reg.mapFd);
      const pin = `maps/${pinName(mapName)}`;
      try {
        objPin(reg.mapFd, join(dir, pin));
        manifest.maps.push({ name: mapName, id: mapInfo(reg.mapFd).id, type: "struct_ops", pin });
      } finally {
        // a link map is held by its link and pin; a plain one's fd stays open until the end (or its unregistering)
        if (reg.linkFd !== undefined) closeFd(reg.mapFd);
      }
    }
    items.forEach((item, i) => {
      const p = obj.programs[i]!;
      objPin(p.fd, join(dir, "progs", p.name));
      const entry: ManifestProgram = { name: p.name, id: p.id, tag: p.tag, type: progTypeLabel(p.progType), attach: item.attach };
      const target = targetOf(item.attach, obj.maps, p.name);
      if (item.attach.type === "struct_ops") {
        const l = stOpsLinks.get(item.attach.target ?? "");
        if (l) { entry.link = l.pin; entry.linkId = l.id; }
      } else if (target) {
        let linkFd: number;
        try {
          linkFd = attach(p.fd, target);
        } catch (err) {
          if (err instanceof KernelError) err.diagnostics.unshift(diag("BK7010", { name: p.name, reason: `${item.attach.type} ${item.attach.target ?? ""}`.trim() }));
          throw err;
        }
        links.push(linkFd);
        entry.link = `links/${p.name}-${i}`;
        objPin(linkFd, join(dir, entry.link));
        entry.linkId = linkInfo(linkFd).id;
      }
      manifest.programs.push(entry);
    });
    writeManifest(dir, manifest);
    return manifest;
  } catch (err) {
    // Links first: detaching before the pins go makes sure nothing keeps running.
    for (const l of links) {
      try { linkDetach(l); } catch { /* already gone */ }
    }
    for (const m of registeredMaps) {
      try { mapDelete(m, u32Key(0)); } catch { /* already gone */ }
    }
    if (made || existsSync(dir)) removeTree(dir);
    throw err;
  } finally {
    for (const l of links) closeFd(l);
    for (const m of registeredMaps) closeFd(m);
    obj.close();
  }
}

function writeManifest(dir: string, manifest: Manifest): void {
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  const size = Math.ceil((bytes.length + 1) / 8) * 8;
  const fd = mapCreate({ mapType: mapTypeByName("array")!.id, keySize: 4, valueSize: size, maxEntries: 1, name: "bpfkit_manifest" });
  try {
    const value = new Uint8Array(size);
    value.set(bytes);
    mapUpdate(fd, new Uint8Array(4), value);
    objPin(fd, join(dir, MANIFEST));
  } finally {
    closeFd(fd);
  }
}

/** The manifest of a deployment; undefined when the folder has none (not made by bpfkit). */
export function readManifest(name: string): Manifest | undefined {
  const path = join(deploymentDir(name), MANIFEST);
  if (!existsSync(path)) return undefined;
  const fd = objGet(path);
  try {
    const value = new Uint8Array(mapInfo(fd).valueSize);
    if (!mapLookup(fd, new Uint8Array(4), value)) return undefined;
    const end = value.indexOf(0);
    return JSON.parse(new TextDecoder().decode(end < 0 ? value : value.subarray(0, end))) as Manifest;
  } finally {
    closeFd(fd);
  }
}

/** Names of the deployments under the bpfkit bpffs folder. */
export function listDeployments(): string[] {
  const root = bpffsRoot();
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((n) => existsSync(join(root, n, MANIFEST))).sort();
}

/**
 * kernel.bpf_stats_enabled: whether the kernel counts program runs and run time (off by default: counting
 * costs on every run). undefined when the sysctl cannot be read. bpfkit only reads it.
 */
export function bpfStatsEnabled(): boolean | undefined {
  try {
    return readFileSync("/proc/sys/kernel/bpf_stats_enabled", "utf8").trim() !== "0";
  } catch {
    return undefined;
  }
}

export interface DeploymentStatus {
  name: string;
  created: string;
  /** kernel.bpf_stats_enabled at the time of the query; without it the kernel counts no runs. */
  statsEnabled: boolean | undefined;
  /** runCnt / runTimeNs are absent when stats are off (the kernel's 0 would mean "not counted", not "never ran"). */
  programs: { name: string; id: number; type: string; attach: string; linkId?: number; linkType?: string; attached: boolean; runCnt?: bigint; runTimeNs?: bigint }[];
  maps: { name: string; id: number; type: string; keySize: number; valueSize: number; maxEntries: number }[];
}

/** What is live of a deployment, from its pins (run counts only when kernel.bpf_stats_enabled=1). */
export function deploymentStatus(name: string): DeploymentStatus {
  const manifest = readManifest(name);
  if (!manifest) throw new BpfkitError(diag("BK7008", { name, dir: bpffsRoot() }), 2);
  const dir = deploymentDir(name);
  const withFd = <T>(path: string, fn: (fd: number) => T): T | undefined => {
    if (!existsSync(path)) return undefined;
    const fd = objGet(path);
    try { return fn(fd); } finally { closeFd(fd); }
  };
  const statsEnabled = bpfStatsEnabled();
  const st: DeploymentStatus = { name, created: manifest.created, statsEnabled, programs: [], maps: [] };
  for (const p of manifest.programs) {
    const info = withFd(join(dir, "progs", p.name), progInfo);
    const link = p.link ? withFd(join(dir, p.link), linkInfo) : undefined;
    const row: DeploymentStatus["programs"][number] = {
      name: p.name, id: info?.id ?? p.id, type: p.type, attach: describeAttach(p.attach),
      // a struct_ops program is "attached" while its map is registered: through its link, or (plain map) its pin
      attached: p.attach.type === "struct_ops" ? (p.link ? link !== undefined : existsSync(join(dir, "maps", pinName(p.attach.target ?? "")))) : link !== undefined && link.progId === p.id,
    };
    if (statsEnabled !== false && info) { row.runCnt = info.runCnt; row.runTimeNs = info.runTimeNs; }
    if (link) { row.linkId = link.id; row.linkType = linkTypeName(link.type); }
    st.programs.push(row);
  }
  for (const m of manifest.maps) {
    const info = withFd(join(dir, m.pin), mapInfo);
    if (info) st.maps.push({ name: m.name, id: info.id, type: mapTypeById(info.type)?.name ?? `map type ${info.type}`, keySize: info.keySize, valueSize: info.valueSize, maxEntries: info.maxEntries });
  }
  return st;
}

export function describeAttach(a: AttachSpec): string {
  switch (a.type) {
    case "xdp": return `xdp ${a.target}${a.mode && a.mode !== "auto" ? ` (${a.mode})` : ""}${a.netns ? ` netns ${a.netns}` : ""}`;
    case "tc": return `tcx ${a.direction ?? "ingress"} ${a.target}${a.netns ? ` netns ${a.netns}` : ""}`;
    case "sockops": return `sockops ${a.target}`;
    case "cgroup": return `${a.attachType} ${a.target}`;
    case "sk_msg": return `sk_msg on map ${a.target}`;
    case "sk_skb": return `sk_skb ${a.attachType ?? "stream_verdict"} on map ${a.target}`;
    case "struct_ops": return `struct_ops map ${a.target}`;
    case "none": return "not attached";
  }
}

/** Detach every link of a deployment and remove its pins. Returns the ids that were released. */
export function detachDeployment(name: string): { programIds: number[]; linkIds: number[]; mapIds: number[] } {
  const dir = deploymentDir(name);
  if (!existsSync(dir)) throw new BpfkitError(diag("BK7008", { name, dir: bpffsRoot() }), 2);
  const manifest = readManifest(name);
  const out = { programIds: manifest?.programs.map((p) => p.id) ?? [], linkIds: [] as number[], mapIds: manifest?.maps.map((m) => m.id) ?? [] };
  const linksDir = join(dir, "links");
  if (existsSync(linksDir)) {
    for (const l of readdirSync(linksDir)) {
      const fd = objGet(join(linksDir, l));
      try {
        out.linkIds.push(linkInfo(fd).id);
        // Detach now, even if some other process still holds an fd of the link.
        try { linkDetach(fd); } catch (err) { if (!(err instanceof KernelError)) throw err; }
      } finally {
        closeFd(fd);
      }
    }
  }
  // a plain struct_ops map stays registered (the kernel holds it) until its value is deleted
  for (const m of manifest?.maps ?? []) {
    if (m.type !== "struct_ops" || !existsSync(join(dir, m.pin))) continue;
    const fd = objGet(join(dir, m.pin));
    try { mapDelete(fd, u32Key(0)); } catch (err) { if (!(err instanceof KernelError)) throw err; } finally { closeFd(fd); }
  }
  removeTree(dir);
  return out;
}
