// The playground's budgets, measured in Debian's chromium on the built site (npm run playground:budget):
//   1. first load <= 1.5 MB compressed, Wasm included: every file the page requests until it is ready,
//      each gzip -9'd as a static host would send it;
//   2. verifying each bpf/ example in the browser <= 200 ms: the verifier worker's time for the program
//      (assembling the editor's text, verifying with every instruction's states and the log), median of 5
//      after one warm-up (the minimum too: on a shared machine it is the best estimate of the cost); printed beside it, the time from choosing the program to the verdict on screen
//      (object load, disassembly, editor, worker round trip) and the first, cold, time;
//   3. no request leaves the page after load, through a session that opens every example and lesson,
//      runs, steps and shares.
// Prints one line per figure and exits 1 when a budget is missed. Timings depend on the machine's load,
// which is printed with them.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildPlayground, launchBrowser, PLAYGROUND_DIST, servePlaygroundDist } from "../test/support/browser.js";

const LOAD_BUDGET = 1.5 * 1024 * 1024;
const VERIFY_BUDGET_MS = 200;
/** Timed repetitions per program after the warm-up (the machines are shared: the median and the minimum are printed). */
const RUNS = 5;

interface AppHandle {
  whenVerified(): Promise<void>;
  report?: { ms: number; verdict?: string; name?: string };
  selectProgram(name: string): void;
  object?: { obj: { programs: { name: string }[] } };
}

async function main(): Promise<number> {
  buildPlayground();
  const server = await servePlaygroundDist();
  const browser = await launchBrowser();
  let failed = 0;
  const verdict = (ok: boolean): string => { if (!ok) failed++; return ok ? "PASS" : "FAIL"; };
  try {
    const page = await browser.context.newPage();
    const loaded: string[] = [];
    page.on("request", (r) => loaded.push(r.url()));
    await page.goto(server.url);
    await page.waitForSelector("body[data-ready='1']");
    await page.evaluate(() => (window as unknown as { bpfkitPlayground: AppHandle }).bpfkitPlayground.whenVerified());

    // 1. first load
    let raw = 0, gz = 0;
    const rows: string[] = [];
    for (const url of loaded) {
      if (/^(blob|data):/.test(url)) continue;
      const path = new URL(url).pathname;
      const file = join(PLAYGROUND_DIST, path.endsWith("/") ? `${path}index.html` : path);
      const bytes = readFileSync(file);
      const z = gzipSync(bytes, { level: 9 }).length;
      raw += bytes.length;
      gz += z;
      rows.push(`    ${path.padEnd(36)} ${(bytes.length / 1024).toFixed(1).padStart(8)} kB raw ${(z / 1024).toFixed(1).padStart(8)} kB gzip`);
    }
    console.log(`first load: ${loaded.length} requests, ${(raw / 1024).toFixed(0)} kB raw, ${(gz / 1024).toFixed(0)} kB gzip -9 (budget ${LOAD_BUDGET / 1024} kB): ${verdict(gz <= LOAD_BUDGET)}`);
    for (const r of rows) console.log(r);
    const wasmInside = readFileSync(join(PLAYGROUND_DIST, new URL(loaded.find((u) => u.endsWith(".js"))!).pathname)).includes("AGFzbQ"); // "\0asm" in base64
    console.log(`    (the interpreter's Wasm is inside the script as base64: ${wasmInside ? "yes" : "NO"}; the target BTF is not loaded)`);

    // 3. from here on, nothing may be requested
    const after: string[] = [];
    page.on("request", (r) => { if (!/^(blob|data):/.test(r.url())) after.push(r.url()); });

    // 2. verification time per example program
    const measure = (how: { example?: string; program?: string }): Promise<{ total: number; worker: number; verdict: string; name: string }> =>
      page.evaluate(async ({ example, program }) => {
        const app = (window as unknown as { bpfkitPlayground: AppHandle }).bpfkitPlayground;
        const t0 = performance.now();
        if (example) {
          const sel = document.getElementById("example-select") as HTMLSelectElement;
          sel.value = example;
          sel.dispatchEvent(new Event("change"));
        }
        if (program) app.selectProgram(program);
        await app.whenVerified();
        const total = performance.now() - t0;
        return { total, worker: app.report?.ms ?? NaN, verdict: app.report?.verdict ?? "?", name: app.report?.name ?? "?" };
      }, how);
    console.log(`verifying each bpf/ example in the browser (budget ${VERIFY_BUDGET_MS} ms, median of ${RUNS} after a warm-up; load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}):`);
    // The page's own lists (the playground's modules import bpf/ files, which only the bundler reads).
    const examples = await page.$$eval("#example-select option", (os) => os.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
    for (const id of examples) {
      const first = await measure({ example: id });
      const programs = await page.evaluate(() => (window as unknown as { bpfkitPlayground: AppHandle }).bpfkitPlayground.object?.obj.programs.map((p) => p.name) ?? []);
      for (const prog of programs) {
        const cold = prog === first.name ? first : await measure({ program: prog });
        const totals: number[] = [], workers: number[] = [];
        let v = "";
        for (let i = 0; i < RUNS; i++) {
          const m = await measure({ program: prog });
          totals.push(m.total); workers.push(m.worker); v = m.verdict;
        }
        const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
        const w = median(workers);
        console.log(`    ${`${id}.bpf.o ${prog}`.padEnd(44)} ${v.padEnd(7)} verify ${w.toFixed(0).padStart(4)} ms (min ${Math.min(...workers).toFixed(0).padStart(3)}) · on screen ${median(totals).toFixed(0).padStart(4)} ms (min ${Math.min(...totals).toFixed(0).padStart(3)}) · cold ${cold.worker.toFixed(0).padStart(4)} / ${cold.total.toFixed(0).padStart(4)} ms  ${verdict(w <= VERIFY_BUDGET_MS && v === "accept")}`);
      }
    }

    // 3. a session: lessons, runs, steps, share
    await page.click("button[data-tab=course]");
    const lessons = await page.$$eval("a[data-lesson]", (as) => as.map((a) => (a as HTMLElement).dataset.lesson!));
    for (const id of lessons) {
      await page.click(`a[data-lesson='${id}']`);
      await page.evaluate(() => (window as unknown as { bpfkitPlayground: AppHandle }).bpfkitPlayground.whenVerified());
    }
    await page.selectOption("#example-select", "xdp_lb");
    await page.evaluate(() => (window as unknown as { bpfkitPlayground: AppHandle }).bpfkitPlayground.whenVerified());
    await page.click("button[data-tab=run]");
    await page.click("#run-btn");
    await page.click("#step-btn");
    for (let i = 0; i < 5; i++) await page.click("#step-next");
    await page.click("button[data-tab=maps]");
    await page.click("#share");
    await page.waitForFunction(() => location.hash.startsWith("#s="));
    console.log(`requests after load through a session (every example and lesson, run, step, maps, share): ${after.length}${after.length ? ` (${after.slice(0, 5).join(", ")})` : ""}: ${verdict(after.length === 0)}`);
  } finally {
    await browser.close();
    await server.close();
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
