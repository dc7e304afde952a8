// Integrity of the committed corpora of real programs (test/fixtures/real) and of the kernel's verifier
// selftests (test/fixtures/selftests): the manifest and the objects agree, every program of every object
// has a recorded kernel result, and every libbpf parity file names the committed target BTF. The data
// is made by scripts/real-corpus/{build,record}.mjs; the tests that hold bpfkit to it live elsewhere.
// The ELF symbol table is read here with a few lines of its own, so this test does not move with
// bpfkit's ELF loader (which the corpus exists to measure).
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const BTF = "data/btf/vmlinux-6.18-x86_64.btf.gz";
const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

interface ManifestObject { file: string; project: string; source: string; license: string; flags: string[]; sha256: string }
interface Manifest { projects: { id: string; repository: string; upstreamVersion: string; license: string }[]; objects: ManifestObject[]; excluded: { project: string; source: string; reason: string }[] }
interface KernelProgram {
  name: string; section: string; autoload: boolean; result: string; errno?: number; processed?: number; firstError?: string; logTail?: string[]; prepareError?: string;
  refusedOutsideVerifier?: boolean;
}
interface KernelFile { object: string; objectSha256: string; kernelRelease: string; programs: KernelProgram[]; openError?: string }
interface ParityFile { object: string; objectSha256: string; targetBtf: { file: string; sha256: string }; programs: { name: string; insns?: string; unavailable?: string }[]; openError?: string }

/** Programs libbpf would find: global (or weak) FUNC symbols in executable sections other than .text. */
export function elfPrograms(bytes: Uint8Array): { name: string; section: string }[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, false) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) throw new Error("not a little-endian ELF64 file");
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true), shnum = dv.getUint16(0x3c, true), shstrndx = dv.getUint16(0x3e, true);
  const sec = (i: number) => {
    const o = shoff + i * shentsize;
    return { name: dv.getUint32(o, true), type: dv.getUint32(o + 4, true), flags: Number(dv.getBigUint64(o + 8, true)),
      offset: Number(dv.getBigUint64(o + 0x18, true)), size: Number(dv.getBigUint64(o + 0x20, true)), link: dv.getUint32(o + 0x28, true), entsize: Number(dv.getBigUint64(o + 0x38, true)) };
  };
  const str = (tab: number, off: number): string => { const s = sec(tab); let e = s.offset + off; while (bytes[e] !== 0) e++; return new TextDecoder().decode(bytes.subarray(s.offset + off, e)); };
  const secName = (i: number): string => str(shstrndx, sec(i).name);
  const out: { name: string; section: string }[] = [];
  for (let i = 0; i < shnum; i++) {
    const s = sec(i);
    if (s.type !== 2 /* SHT_SYMTAB */) continue;
    for (let o = s.offset + s.entsize; o < s.offset + s.size; o += s.entsize) {
      const info = bytes[o + 4]!, shndx = dv.getUint16(o + 6, true);
      const type = info & 0xf, bind = info >> 4;
      if (type !== 2 /* STT_FUNC */ || (bind !== 1 && bind !== 2) || shndx === 0 || shndx >= shnum) continue;
      const target = sec(shndx);
      if (!(target.flags & 0x4) /* SHF_EXECINSTR */ || secName(shndx) === ".text") continue;
      out.push({ name: str(s.link, dv.getUint32(o, true)), section: secName(shndx) });
    }
  }
  return out;
}

const walk = (d: string): string[] => (existsSync(d) ? readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)])) : []);
const json = <T>(p: string): T => JSON.parse(readFileSync(p, "utf8")) as T;

describe("the bundled target BTF", () => {
  it("is BTF, and data/btf/README.md names its sha256", () => {
    const raw = gunzipSync(readFileSync(join(root, BTF)));
    expect(raw.readUInt16LE(0)).toBe(0xeb9f);
    expect(readFileSync(join(root, "data/btf/README.md"), "utf8")).toContain(sha256(raw));
  });
});

describe("the ELF reader of this test", () => {
  it("finds the programs of a known object and skips .text", () => {
    const progs = elfPrograms(readFileSync(join(root, "test/fixtures/real/knot/bpf-kernel.bpf.o")));
    expect(progs).toEqual([{ name: "xdp_redirect_dns_func", section: "xdp" }]);
    expect(() => elfPrograms(new Uint8Array(64))).toThrow(/ELF64/);
  });
});

for (const set of ["real", "selftests"] as const) {
  const dir = join(root, "test/fixtures", set);
  describe(`test/fixtures/${set}`, () => {
    const manifest = json<Manifest>(join(dir, "manifest.json"));
    const btfSha = sha256(gunzipSync(readFileSync(join(root, BTF))));

    it("manifest lists every committed object and every listed object is committed, with its sha256", () => {
      const onDisk = walk(dir).filter((f) => f.endsWith(".bpf.o")).map((f) => relative(dir, f)).sort();
      expect(manifest.objects.map((o) => o.file).sort()).toEqual(onDisk);
      for (const o of manifest.objects) expect(sha256(readFileSync(join(dir, o.file))), o.file).toBe(o.sha256);
    });

    it("says where every object came from: project, repository, source, licence, flags", () => {
      const projects = new Map(manifest.projects.map((p) => [p.id, p]));
      for (const o of manifest.objects) {
        const p = projects.get(o.project);
        expect(p, o.file).toBeDefined();
        expect(p!.repository, o.file).toMatch(/^https:\/\//);
        expect(o.source && o.license && o.flags.length > 0, o.file).toBeTruthy();
        expect(o.flags.join(" "), o.file).not.toMatch(/\/work\/|\/tmp\//);
      }
      for (const x of manifest.excluded) expect(x.reason.length, `${x.project}/${x.source}`).toBeGreaterThan(0);
    });

    it("every program of every object has a recorded kernel result, and nothing else is recorded", () => {
      let programs = 0;
      for (const o of manifest.objects) {
        const kfile = join(dir, "kernel", o.file.replace(/\.bpf\.o$/, ".json"));
        expect(existsSync(kfile), kfile).toBe(true);
        const k = json<KernelFile>(kfile);
        expect(k.objectSha256, o.file).toBe(o.sha256);
        const elf = elfPrograms(readFileSync(join(dir, o.file)));
        // objects libbpf cannot open (legacy maps, static programs) still list every program, as not prepared
        if (k.openError) for (const p of k.programs) expect(p.result, `${o.file}:${p.name}`).toBe("not-prepared");
        expect(k.programs.map((p) => p.name).sort(), o.file).toEqual(elf.map((p) => p.name).sort());
        for (const p of k.programs) {
          const where = `${o.file}:${p.name}`;
          // libbpf names the section without its '?', which it turns into autoload = false
          const elfSection = elf.find((e) => e.name === p.name)!.section;
          expect(p.section, where).toBe(elfSection.replace(/^\?/, ""));
          expect(p.autoload, where).toBe(!elfSection.startsWith("?"));
          expect(["loaded", "refused", "not-prepared"], where).toContain(p.result);
          if (p.result === "loaded") expect(p.processed, where).toBeGreaterThan(0);
          if (p.result === "refused") {
            expect(p.errno, where).toBeGreaterThan(0);
            // the verifier's own refusals come with its log; an empty one is flagged as a refusal outside it
            if (p.refusedOutsideVerifier) expect(p.logTail ?? [], where).toEqual([]);
            else expect(p.logTail ?? [], where).not.toEqual([]);
          }
          if (p.result === "not-prepared") expect(p.prepareError, where).toMatch(/^libbpf could not prepare: /);
          programs++;
        }
      }
      expect(programs).toBeGreaterThan(150);
      const expected = new Set(manifest.objects.map((o) => o.file.replace(/\.bpf\.o$/, ".json")));
      for (const sub of ["kernel", "libbpf"]) for (const f of walk(join(dir, sub))) expect(expected.has(relative(join(dir, sub), f)), f).toBe(true);
    });

    it("every libbpf parity file names the committed target BTF and has the instructions of every program the kernel saw", () => {
      for (const o of manifest.objects) {
        const name = o.file.replace(/\.bpf\.o$/, ".json");
        const parity = json<ParityFile>(join(dir, "libbpf", name));
        const kernel = json<KernelFile>(join(dir, "kernel", name));
        expect(parity.objectSha256, o.file).toBe(o.sha256);
        expect(parity.targetBtf, o.file).toEqual({ file: BTF, sha256: btfSha });
        for (const k of kernel.programs) {
          const p = parity.programs.find((x) => x.name === k.name);
          expect(p, `${o.file}:${k.name}`).toBeDefined();
          if (k.result === "loaded" || k.result === "refused") expect(p!.insns, `${o.file}:${k.name}`).toMatch(/^([0-9a-f]{16})+$/);
          else expect(p!.unavailable, `${o.file}:${k.name}`).toBeTruthy();
        }
      }
    });
  });
}
