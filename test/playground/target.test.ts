// The playground's target kernel (playground/src/target.ts): objects that need one (CO-RE relocations,
// .kconfig / .ksyms externs, kfuncs) say so when opened without it, and open fully with the target the
// page builds from its part's bytes (here read from data/ directly: the part bundles these same files).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { openObject } from "../../playground/src/program-source.js";
import { targetKernel } from "../../playground/src/target.js";
import { BUNDLED } from "../../src/load/node.js";

const target = targetKernel({
  description: BUNDLED.description, release: BUNDLED.release,
  btf: new Uint8Array(gunzipSync(readFileSync(BUNDLED.btf))),
  kconfig: gunzipSync(readFileSync(BUNDLED.kconfig)).toString("utf8"),
});
const fixture = (f: string): Uint8Array => new Uint8Array(readFileSync(join(import.meta.dirname, "../fixtures/elf", f)));

describe("playground target kernel", () => {
  it.each(["externs.o", "core_task.o", "core_xdp.o"])("%s needs it, and opens fully with it", (f) => {
    const without = openObject(f, fixture(f));
    expect(without.needsTarget).toBe(true);
    const obj = openObject(f, fixture(f), target);
    expect(obj.needsTarget).toBeUndefined();
    expect(obj.unsupported).toEqual([]);
    expect(obj.target).toBe("bundled default (Linux 6.18 x86_64)");
  });

  it("objects without CO-RE or externs never ask for it", () => {
    for (const f of ["maps_btf.o", "calls.o", "global_data.o"]) expect(openObject(f, fixture(f)).needsTarget, f).toBeUndefined();
  });

  it("gives kconfig externs the bundled configuration and release", () => {
    const obj = openObject("externs.o", fixture("externs.o"), target);
    const kconfig = obj.programs.find((p) => p.name === "xdp_kconfig")!;
    // LINUX_KERNEL_VERSION of 6.18.44 lands in the program's .kconfig map as KERNEL_VERSION(6, 18, 44)
    const values = kconfig.maps.filter((m) => m.name.endsWith(".kconfig")).map((m) => m.initialValue).filter((v): v is Uint8Array => !!v);
    expect(values.length).toBe(1);
    const dv = new DataView(values[0]!.buffer, values[0]!.byteOffset, values[0]!.byteLength);
    const words = Array.from({ length: values[0]!.byteLength >> 2 }, (_, i) => dv.getUint32(i * 4, true));
    expect(words).toContain((6 << 16) + (18 << 8) + 44);
  });
});
