// `bpfkit status`: bpfkit's deployments in bpffs, with their programs, links, maps and run counts.
import type { Command } from "commander";
import { action } from "../run-command.js";

export function register(program: Command): void {
  program
    .command("status")
    .description("list deployments: programs, links, maps and run counts (needs root)")
    .argument("[name]", "only this deployment")
    .option("--json", "print JSON")
    .action(action(async (name: string | undefined, flags: { json?: boolean }) => {
      const k = await import("../../kernel/index.js");
      const names = name ? [name] : k.listDeployments();
      const all = names.map((n) => k.deploymentStatus(n));
      if (flags.json) {
        process.stdout.write(JSON.stringify(all, (_, v) => (typeof v === "bigint" ? Number(v) : v), 2) + "\n");
        return 0;
      }
      if (!all.length) process.stdout.write(`no deployments under ${k.bpffsRoot()}\n`);
      else if (k.bpfStatsEnabled() === false) {
        // The kernel counts runs only with the sysctl on; a 0 would read as "never ran". bpfkit does not change it.
        process.stdout.write("run counts: not collected (kernel.bpf_stats_enabled=0; `sysctl -w kernel.bpf_stats_enabled=1` turns them on, at a small cost per run)\n");
      }
      for (const d of all) {
        process.stdout.write(`${d.name} (since ${d.created})\n`);
        for (const p of d.programs) {
          const runs = p.runCnt === undefined ? "" : `, ${p.runCnt} runs${p.runCnt > 0n ? `, ${Number(p.runTimeNs! / p.runCnt)} ns avg` : ""}`;
          process.stdout.write(`  prog ${p.name} id ${p.id} ${p.type}: ${p.attach} ${p.attached ? `[${p.linkType} link ${p.linkId}]` : "[not attached]"}${runs}\n`);
        }
        for (const m of d.maps) process.stdout.write(`  map ${m.name} id ${m.id} ${m.type} key ${m.keySize} value ${m.valueSize} max ${m.maxEntries}\n`);
      }
      return 0;
    }));
}
