// `bpfkit build FILE.c [-o OUT.o] [-I DIR] [-D NAME[=VALUE]] [--clang-arg ARG] [--btf FILE] [--type [NAME=]T]
// [--json] [--compare-kernel] [--no-verify]`: compile a BPF C file with clang-19 and the flags a BPF
// developer needs (src/build/clang.ts), then verify every program of the object and print the same
// one-line-per-program summary as `bpfkit verify X.o`. Exit 0 built and nothing rejected, 1 clang failed
// or a program is rejected, 2 bad usage (clang missing, no target BTF for vmlinux.h).
import type { Command } from "commander";
import { BpfkitError, diag } from "../../diagnostics/index.js";
import { loadProgramFile, resolveTarget } from "../../load/node.js";
import type { Btf } from "../../btf/index.js";
import { buildObject } from "../../build/clang.js";
import { action } from "../run-command.js";
import { typeChoice, typeOption } from "../type-option.js";
import { formatListing, kernelComparer, listingExitCode, listingJson, verifyListing } from "../verify-listing.js";

interface BuildFlags {
  output?: string; include?: string[]; define?: string[]; clangArg?: string[]; btf?: string; type?: string[];
  json?: boolean; compareKernel?: boolean; verify?: boolean;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function register(program: Command): void {
  typeOption(program
    .command("build")
    .description("compile a BPF C file with clang-19 (-target bpf -g -O2, libbpf headers, vmlinux.h from the target BTF), then verify every program")
    .argument("<file>", "BPF C source")
    .option("-o, --output <file>", "object to write (default: FILE with .c replaced by .o)")
    .option("-I, --include <dir>", "another include folder, searched first (repeatable): your headers, libbpf headers elsewhere, your own vmlinux.h", collect)
    .option("-D, --define <name[=value]>", "define a macro (repeatable)", collect)
    .option("--clang-arg <arg>", "pass an argument to clang as it is (repeatable), e.g. --clang-arg=-mcpu=v3", collect)
    .option("--btf <file>", "target BTF for a generated vmlinux.h (default: /sys/kernel/btf/vmlinux, else bpfkit's bundled 6.18 BTF)"))
    .option("--json", "print JSON: the object, the clang command, and every program's verdict")
    .option("--compare-kernel", "also load every program into the running kernel and show its verdict beside bpfkit's")
    .option("--no-verify", "only compile")
    .action(action(async (file: string, flags: BuildFlags) => {
      const choice = typeChoice(flags);
      if (flags.compareKernel) {
        const { kernelBackendProblem } = await import("../../kernel/index.js"); // only here: start-up time (issue #15 item 9)
        const problem = kernelBackendProblem();
        if (problem) throw new BpfkitError(diag("BK6003", { reason: problem }), 2);
      }
      const built = buildObject(file, {
        ...(flags.output !== undefined ? { output: flags.output } : {}), ...(flags.include ? { includes: flags.include } : {}),
        ...(flags.define ? { defines: flags.define } : {}), ...(flags.clangArg ? { clangArgs: flags.clangArg } : {}),
        ...(flags.btf !== undefined ? { btf: flags.btf } : {}),
      });
      const headline = `built ${built.output}${built.btfOrigin ? ` (vmlinux.h from ${built.btfOrigin})` : ""}`;
      if (flags.verify === false) {
        process.stdout.write(flags.json ? JSON.stringify({ output: built.output, command: built.command }, null, 2) + "\n" : headline + "\n");
        return 0;
      }
      const loaded = await loadProgramFile(built.output, { lenient: true, allowUnsupported: true, ...(choice ? { type: choice } : {}) });
      const target = (): Btf | undefined => resolveTarget(flags.btf !== undefined ? { btf: flags.btf } : {}).btf();
      const listing = verifyListing(built.output, loaded.programs, loaded.unsupported, { target, kernelConfig: () => resolveTarget(flags.btf !== undefined ? { btf: flags.btf } : {}).kconfig?.()?.text, ...(flags.compareKernel ? { compareKernel: await kernelComparer() } : {}) });
      if (flags.json) {
        process.stdout.write(JSON.stringify({ output: built.output, command: built.command, ...(built.btfOrigin ? { vmlinux: built.btfOrigin } : {}), ...listingJson(listing) }, null, 2) + "\n");
      } else {
        process.stdout.write(headline + "\n\n" + formatListing(listing));
      }
      return listingExitCode(listing);
    }));
}
