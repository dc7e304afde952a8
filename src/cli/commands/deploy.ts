// `bpfkit deploy`: load a program (or several, from a deployment file), attach it, and pin everything under
// /sys/fs/bpf/bpfkit/<name>/ so it keeps running after bpfkit exits.
import type { Command } from "commander";
import { BpfkitError, diag } from "../../diagnostics/index.js";
import { action } from "../run-command.js";
import { progChoice, progOption } from "../prog-option.js";
import { typeChoice, typeOption } from "../type-option.js";
import { addTargetOptions, targetOptions } from "../target-options.js";

const XDP_MODES = ["skb", "native", "auto"] as const;
const TC_DIRECTIONS = ["ingress", "egress"] as const;

interface DeployFlags {
  name?: string; prog?: string; program?: string; type?: string[]; xdp?: string; mode?: string; tc?: string; sockops?: string;
  skMsg?: string; skSkb?: string; netns?: string; file?: string; replace?: boolean; log?: boolean; btf?: string; kconfig?: string;
  structOps?: string;
}

export function register(program: Command): void {
  typeOption(addTargetOptions(progOption(program
    .command("deploy")
    .description("load, attach and pin programs so they outlive bpfkit (needs root)")
    .argument("[object]", "program file (.o, .s, .json, .bin)"), "program of the file to deploy (programs in SEC(\"?...\") sections only when named)"))
    .option("--name <name>", "deployment name (default: the file name up to its first '.', e.g. x for x.bpf.o)")
    .option("--xdp <iface>", "attach XDP to an interface")
    .option("--mode <mode>", "XDP mode: skb, native or auto", "auto")
    .option("--tc <iface[:dir]>", "attach to tcx ingress (default) or egress of an interface")
    .option("--sockops <cgroup>", "attach sock_ops to a cgroup v2 folder")
    .option("--sk-msg <map>", "attach sk_msg to a sockmap/sockhash of the object")
    .option("--sk-skb <map>", "attach sk_skb stream verdict to a sockmap/sockhash of the object")
    .option("--struct-ops <map>", "register a struct_ops map of the object (e.g. a tcp_congestion_ops), loading the programs it binds")
    .option("--netns <name>", "network namespace of the interface (ip netns name)")
    .option("-f, --file <deployment.json>", "deploy several programs sharing maps, as the file says")
    .option("--replace", "replace a deployment of the same name")
    .option("--log", "print the verifier log of every program"))
    .action(action(async (object: string | undefined, flags: DeployFlags) => {
      // Flags first: a bad value is a usage error (exit 2) before anything is read or loaded.
      checkFlags(flags);
      const k = await import("../../kernel/index.js");
      const { readDeploymentFile } = await import("../../kernel/deployment-file.js");
      let items: import("../../kernel/index.js").DeployProgram[];
      let name = flags.name;
      let objectOf: import("../../elf/object.js").ElfObject | undefined;
      if (flags.file) {
        const choice = typeChoice(flags);
        const file = await readDeploymentFile(flags.file, choice, targetOptions(flags, true));
        items = file.programs;
        name ??= file.name ?? k.deploymentNameOf(flags.file);
      } else {
        if (!object) {
          process.stderr.write("bpfkit deploy: give a program file or --file DEPLOYMENT.json\n");
          return 2;
        }
        const { loadProgramFile, pickProgram } = await import("../../load/node.js");
        const choice = typeChoice(flags);
        // relocated for this kernel: its BTF ids (kfuncs, .ksyms) and its configuration, never the bundled default
        const file = await loadProgramFile(object, { ...targetOptions(flags, true), ...(choice ? { type: choice } : {}) });
        const progs = file.programs;
        if (flags.structOps !== undefined) {
          // every program the struct_ops map binds, loaded, then the map registered
          const m = file.structOps?.structOps?.find((x) => x.map === flags.structOps);
          if (!m) throw new BpfkitError(diag("BK7030", { map: flags.structOps, reason: `${object} has no such struct_ops map (it has: ${(file.structOps?.structOps ?? []).map((x) => x.map).join(", ") || "none"})` }), 2);
          items = [...new Set(m.members.map((x) => x.program))].map((n) => ({ program: pickProgram(progs, object, n), attach: { type: "struct_ops" as const, target: m.map } }));
          objectOf = file.structOps;
        } else {
          const prog = pickProgram(progs, object, progChoice(flags));
          items = [{ program: prog, attach: attachFromFlags(flags) }];
          // Tail-call targets named by the program's prog_array slots come along, loaded but not attached.
          for (const t of k.tailCallTargets(prog, progs)) items.push({ program: t, attach: { type: "none" } });
        }
        name ??= k.deploymentNameOf(object);
      }
      let manifest;
      try {
        manifest = k.deploy(name!, items, { ...(flags.replace ? { replace: true } : {}), ...(flags.log ? { logLevel: 1 as const } : {}), ...(objectOf ? { object: objectOf } : {}) });
      } catch (err) {
        if (err instanceof k.KernelError && err.log) process.stderr.write(err.log.trimEnd() + "\n");
        throw err;
      }
      process.stdout.write(`deployed ${manifest.name} (${k.deploymentDir(manifest.name)})\n`);
      for (const p of manifest.programs) process.stdout.write(`  ${p.name}: ${p.type} id ${p.id} -> ${k.describeAttach(p.attach)}${p.linkId ? ` (link ${p.linkId})` : ""}\n`);
      for (const m of manifest.maps) process.stdout.write(`  map ${m.name}: ${m.type} id ${m.id}\n`);
      return 0;
    }));
}

/** `--mode` and the `--tc` direction must be values bpfkit knows; anything else is exit 2 with the choices. */
function checkFlags(f: DeployFlags): void {
  if (f.mode !== undefined && !(XDP_MODES as readonly string[]).includes(f.mode)) {
    throw new BpfkitError(diag("BK7012", { what: "--mode", value: f.mode, expected: `expected one of ${XDP_MODES.join(", ")}` }, {},
      "skb = generic XDP (any interface), native = driver XDP, auto = native when the driver has it"), 2);
  }
  if (f.mode !== undefined && f.mode !== "auto" && !f.xdp) {
    throw new BpfkitError(diag("BK7012", { what: "--mode", value: f.mode, expected: "--mode applies to --xdp only" }, {},
      f.file ? "in a deployment file, give the mode per program: \"attach\": { \"type\": \"xdp\", \"mode\": \"skb\" }" : undefined), 2);
  }
  const dir = f.tc?.includes(":") ? f.tc.slice(f.tc.indexOf(":") + 1) : undefined;
  if (dir !== undefined && !(TC_DIRECTIONS as readonly string[]).includes(dir)) {
    throw new BpfkitError(diag("BK7012", { what: "--tc direction", value: dir, expected: `expected IFACE, IFACE:ingress or IFACE:egress` }), 2);
  }
}

function attachFromFlags(f: DeployFlags): import("../../kernel/index.js").AttachSpec {
  const ns = f.netns ? { netns: f.netns } : {};
  if (f.xdp) return { type: "xdp", target: f.xdp, mode: (f.mode ?? "auto") as (typeof XDP_MODES)[number], ...ns };
  if (f.tc) {
    const [iface, dir] = f.tc.split(":");
    return { type: "tc", target: iface!, direction: dir === "egress" ? "egress" : "ingress", ...ns };
  }
  if (f.sockops) return { type: "sockops", target: f.sockops };
  if (f.skMsg) return { type: "sk_msg", target: f.skMsg };
  if (f.skSkb) return { type: "sk_skb", target: f.skSkb };
  return { type: "none" };
}
