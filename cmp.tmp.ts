import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { join } from "node:path";
import { loadObject } from "./src/elf/index.js";
import { bundledTarget } from "./src/load/node.js";
import { encode, toHex } from "./src/isa/index.js";
const corpus = process.argv[2] ?? "/work/wt/corpus/test/fixtures/real";
const target = bundledTarget();
let progs = 0, same = 0, differ = 0, missing = 0, unavailable = 0, objs = 0, objFail = 0;
const diffs: string[] = [];
const entries: string[] = [];
for (const e of readdirSync(join(corpus, "libbpf"))) {
  const p = join(corpus, "libbpf", e);
  if (statSync(p).isDirectory()) for (const f of readdirSync(p)) entries.push(join(p, f)); else entries.push(p);
}
{
  for (const file of entries) { const pdir = "", f = file;
    const rec = JSON.parse(readFileSync(join(pdir, f), "utf8"));
    objs++;
    let obj;
    try { obj = loadObject(new Uint8Array(readFileSync(join(corpus, rec.object))), { file: rec.object.split("/").pop(), target }); }
    catch (e) { objFail++; diffs.push(`${rec.object}: open ${(e as Error).message.slice(0, 100)}`); continue; }
    for (const p of rec.programs ?? []) {
      if (p.unavailable || !p.insns) { unavailable++; continue; }
      progs++;
      const ours = obj.programs.find((q) => q.name === p.name);
      if (!ours) { missing++; diffs.push(`${rec.object} ${p.name}: not in ours`); continue; }
      let hex = "";
      for (const i of ours.insns) {
        let h = toHex(encode([i]));
        if (i.opcode === 0x18 && (i.src === 1 || i.src === 2)) h = h.slice(0, 8) + "00000000" + h.slice(16);
        hex += h;
      }
      if (hex === p.insns) same++;
      else {
        differ++;
        let k = 0; while (k < hex.length && hex[k] === p.insns[k]) k++;
        const slot = Math.floor(k / 16);
        diffs.push(`${rec.object} ${p.name}: slot ${slot} ours ${hex.slice(slot * 16, slot * 16 + 16)} libbpf ${p.insns.slice(slot * 16, slot * 16 + 16)} (len ${hex.length / 16} vs ${p.insns.length / 16}) ${ours.unsupported?.[0]?.what ?? ""}`.slice(0, 300));
      }
    }
  }
}
console.log({ objs, objFail, progs, same, differ, missing, unavailable });
console.log(diffs.slice(0, 40).join("\n"));
