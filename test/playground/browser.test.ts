// The playground in a real browser (Debian's chromium through playwright-core): the built static folder,
// served from loopback and opened from disk. What a learner does: load it, type a program and see the
// error at its line, fix it, run a built packet, step, share a link, open an object file.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { browserRequired, browserUnavailable, buildPlayground, launchBrowser, PLAYGROUND_DIST, ROOT, servePlaygroundDist, type Browser } from "../support/browser.js";
import type { PlaygroundServer } from "../../src/cli/commands/playground.js";

function describeBrowser(name: string, fn: () => void): void {
  const reason = browserUnavailable();
  if (!reason) { describe(name, fn); return; }
  if (browserRequired()) {
    describe(name, () => { it("needs chromium (BPFKIT_REQUIRE_BROWSER=1)", () => { throw new Error(`browser tests are mandatory here: ${reason}`); }); });
    return;
  }
  describe.skip(`${name} [skipped: ${reason}]`, fn);
}

interface Session { page: Page; errors: string[]; requests: string[] }

describeBrowser("playground in chromium", () => {
  let server: PlaygroundServer;
  let browser: Browser;

  beforeAll(async () => {
    buildPlayground();
    server = await servePlaygroundDist();
    browser = await launchBrowser();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Open the playground and wait until its first verification is shown; requests are counted from then on. */
  async function open(url = server.url): Promise<Session> {
    const page = await browser.context.newPage();
    const s: Session = { page, errors: [], requests: [] };
    page.on("pageerror", (e) => s.errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") s.errors.push(m.text()); });
    await page.goto(url);
    await page.waitForSelector("body[data-ready='1']");
    await verified(page);
    page.on("request", (r) => { if (!/^(blob|data):/.test(r.url())) s.requests.push(r.url()); });
    return s;
  }

  /** Wait for the verifier's report on the editor's current text. */
  const verified = async (page: Page): Promise<string> => {
    await page.evaluate(() => (window as unknown as { bpfkitPlayground: { whenVerified(): Promise<void> } }).bpfkitPlayground.whenVerified());
    return (await page.textContent("#verdict")) ?? "";
  };

  /** Wait until the verdict line says `re` (after something asynchronous, like reading a dropped file). */
  const verdict = async (page: Page, re: RegExp): Promise<string> => {
    await page.waitForFunction((src) => new RegExp(src).test(document.getElementById("verdict")?.textContent ?? ""), re.source, { timeout: 20_000 });
    return (await page.textContent("#verdict")) ?? "";
  };

  /** Replace the editor's text as a user would (select all, type). */
  async function typeProgram(page: Page, text: string): Promise<void> {
    await page.click(".cm-content");
    await page.keyboard.press("Control+a");
    await page.keyboard.press("Delete");
    await page.keyboard.insertText(text);
  }

  /** 1-based editor lines that carry an error mark. */
  const errorLines = (page: Page): Promise<number[]> => page.evaluate(() =>
    Array.from(document.querySelectorAll(".cm-line")).map((l, i) => (l.querySelector(".cm-lintRange-error") || l.classList.contains("bk-error-line") ? i + 1 : 0)).filter(Boolean));

  it("loads, verifies the welcome program and makes no request afterwards", async () => {
    const s = await open();
    expect(await s.page.textContent("#verdict")).toMatch(/✓ accepted · count_packets \(xdp\)/);
    expect(await s.page.locator(".cm-line").count()).toBeGreaterThan(20);
    expect(s.errors).toEqual([]);
    expect(s.requests).toEqual([]);
    await s.page.close();
  });

  it("shows a typed program's error at its line, then 'accepted' once it is fixed", async () => {
    const s = await open();
    await typeProgram(s.page, ".section xdp\nr2 = *(u32 *)(r1 + 0)\nr0 +== 2\nexit\n");
    expect(await verified(s.page)).toMatch(/1 assembler error · line 3:\d+/);
    expect(await errorLines(s.page)).toEqual([3]);
    // Assembles, but the verifier refuses: the packet is read without a bounds check (line 3).
    await typeProgram(s.page, ".section xdp\nr2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 0)\nexit\n");
    expect(await verified(s.page)).toMatch(/✗ rejected at line 3 \(pc 1\): invalid access to packet/);
    expect(await errorLines(s.page)).toEqual([3]);
    await s.page.click("button[data-tab=verifier]");
    expect(await s.page.textContent("#panel-verifier")).toContain("check the length first");
    await typeProgram(s.page, ".section xdp\nr2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr0 = 2\nr4 = r2\nr4 += 1\nif r4 > r3 goto out\nr0 = *(u8 *)(r2 + 0)\nout:\nexit\n");
    expect(await verified(s.page)).toMatch(/✓ accepted/);
    expect(await errorLines(s.page)).toEqual([]);
    // hover: the verifier's state after line 3 (r3 = data_end)
    await s.page.hover(".cm-line:nth-child(3)", { position: { x: 40, y: 8 } });
    await s.page.waitForSelector(".bk-hover");
    expect(await s.page.textContent(".bk-hover")).toContain("pkt_end()");
    expect(s.errors).toEqual([]);
    expect(s.requests).toEqual([]);
    await s.page.close();
  });

  it("runs a built packet through the DDoS blocklist: XDP_DROP and the prefix counter rises", async () => {
    const s = await open();
    await s.page.selectOption("#example-select", "xdp_ddos_blocklist");
    expect(await verified(s.page)).toMatch(/✓ accepted · xdp_ddos_blocklist \(xdp\)/);
    await s.page.click("button[data-tab=run]");
    await s.page.selectOption("#packet-select", { label: "4. VLAN 7, from 192.0.2.99" });
    await s.page.fill(".builder input[name=ipSrc]", "192.0.2.77");
    expect(await s.page.textContent(".packet-preview")).toContain("VLAN 7, IPv4 192.0.2.77 → 10.0.0.2, TCP");
    await s.page.click("#run-btn");
    expect(await s.page.textContent("#run-action")).toBe("XDP_DROP");
    const changes = await s.page.locator("#map-changes tr").allTextContents();
    expect(changes).toContain("blocklist_v4{prefixlen: 24, addr: 192.0.2.0}01");
    // a source outside the blocklist passes and counts nothing in it
    await s.page.fill(".builder input[name=ipSrc]", "203.0.113.9");
    await s.page.click("#run-btn");
    expect(await s.page.textContent("#run-action")).toBe("XDP_PASS");
    expect((await s.page.locator("#map-changes tr").allTextContents()).join("\n")).not.toContain("blocklist_v4");
    expect(s.errors).toEqual([]);
    expect(s.requests).toEqual([]);
    await s.page.close();
  });

  it("steps through three instructions with registers, the packet bytes touched and the current line", async () => {
    const s = await open();
    await s.page.click("button[data-tab=run]");
    await s.page.click("#step-btn");
    await s.page.waitForSelector("#stepper");
    const lineOfStep = (): Promise<number> => s.page.evaluate(() => Array.from(document.querySelectorAll(".cm-line")).findIndex((l) => l.classList.contains("bk-step-line")) + 1);
    expect(await lineOfStep()).toBe(8); // r6 = *(u32 *)(r1 + 0): the welcome program's first instruction
    for (let i = 0; i < 3; i++) await s.page.click("#step-next");
    expect(await s.page.textContent("#step-pos")).toMatch(/^3 instructions executed · next: pc 3 \(line 11\)/);
    expect(await lineOfStep()).toBe(11);
    const regs = Object.fromEntries((await s.page.locator("#regs tr").allTextContents()).map((t) => [t.slice(0, t.indexOf("0x")), t]));
    expect(regs.r0).toMatch(/^r00x2$/);
    expect(regs.r6).toMatch(/→ packet$/);
    expect(regs.r7).toMatch(/→ packet \+ 60$/); // data_end of the 60-byte frame
    expect(await s.page.locator(".hexbyte").count()).toBe(60);
    // two more steps: r5 = r6; r5 += 14 ...
    await s.page.click("#step-next"); await s.page.click("#step-next");
    expect((await s.page.locator("#regs tr").allTextContents()).find((t) => t.startsWith("r5"))).toMatch(/→ packet \+ 14$/);
    await s.page.click("text=Run to end");
    expect(await s.page.textContent("#run-action")).toBe("XDP_PASS");
    expect(s.errors).toEqual([]);
    await s.page.close();
  });

  it("reproduces a shared link: program, packets and map entries", async () => {
    const s = await open();
    await s.page.click("button[data-tab=course]");
    await s.page.click("a[data-lesson=null-check]");
    await s.page.click("text=Show a solution");
    expect(await verified(s.page)).toMatch(/✓ accepted/);
    await s.page.click("button[data-tab=maps]");
    await s.page.fill("input[aria-label='new blocked key']", "10.0.0.1");
    await s.page.click(".map-card[data-map=blocked] button.primary");
    await s.page.click("button[data-tab=run]");
    await s.page.fill(".builder input[name=dstPort]", "5353");
    await s.page.click("#run-btn");
    expect(await s.page.textContent("#run-action")).toBe("XDP_DROP");
    await s.page.click("#share");
    await s.page.waitForFunction(() => location.hash.startsWith("#s="));
    const url = s.page.url();
    const before = await s.page.evaluate(() => { const a = (window as unknown as { bpfkitPlayground: { state: unknown } }).bpfkitPlayground; return JSON.stringify(a.state); });
    expect(s.requests).toEqual([]);
    await s.page.close();

    const t = await open(url);
    expect(await t.page.evaluate(() => JSON.stringify((window as unknown as { bpfkitPlayground: { state: unknown } }).bpfkitPlayground.state))).toBe(before);
    expect(await t.page.textContent("#verdict")).toMatch(/✓ accepted/);
    await t.page.click("button[data-tab=run]");
    expect(await t.page.inputValue(".builder input[name=dstPort]")).toBe("5353");
    await t.page.click("#run-btn");
    expect(await t.page.textContent("#run-action")).toBe("XDP_DROP");
    expect((await t.page.locator("#map-changes tr").allTextContents()).join("\n")).toMatch(/blocked0a 00 00 0100 00 00 00 00 00 00 0001 00 00 00 00 00 00 00/);
    expect(t.errors).toEqual([]);
    expect(t.requests).toEqual([]);
    await t.page.close();
  });

  it("opens an ELF object from the file picker and by drag and drop, and a pcap", async () => {
    const s = await open();
    await s.page.setInputFiles("#file-input", join(ROOT, "bpf/tc_policy.bpf.o"));
    expect(await verdict(s.page, /tc_ingress/)).toMatch(/✓ accepted · tc_ingress \(sched_cls\)/);
    expect(await s.page.textContent(".cm-content")).toContain("; "); // C source lines from BTF line info
    expect(await s.page.locator("#program-select option").allTextContents()).toEqual(["tc_ingress (tc)", "tc_egress (tc)"]);
    await s.page.selectOption("#program-select", "tc_egress");
    expect(await verdict(s.page, /tc_egress/)).toMatch(/✓ accepted · tc_egress/);
    // drag and drop
    const b64 = readFileSync(join(ROOT, "bpf/xdp_lb.bpf.o")).toString("base64");
    const dt = await s.page.evaluateHandle((data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const t = new DataTransfer();
      t.items.add(new File([bytes], "xdp_lb.bpf.o"));
      return t;
    }, b64);
    await s.page.dispatchEvent("body", "drop", { dataTransfer: dt });
    expect(await verdict(s.page, /xdp_lb/)).toMatch(/✓ accepted · xdp_lb \(xdp\)/);
    // a capture adds its packets to the Run tab
    await s.page.setInputFiles("#file-input", join(ROOT, "bpf/packets/mixed.pcap"));
    await s.page.waitForSelector("#packet-select");
    const labels = await s.page.locator("#packet-select option").allTextContents();
    expect(labels.filter((l) => l.includes("mixed.pcap #")).length).toBeGreaterThan(1);
    expect(await s.page.textContent(".packet-preview")).toMatch(/IPv[46] .* bytes\)/);
    await s.page.click("#run-btn");
    expect(await s.page.textContent("#run-action")).toMatch(/^XDP_/);
    expect(s.errors).toEqual([]);
    expect(s.requests).toEqual([]);
    await s.page.close();
  });

  it("works from disk (file://) too", async () => {
    const s = await open(pathToFileURL(join(PLAYGROUND_DIST, "index.html")).href);
    expect(await s.page.textContent("#verdict")).toMatch(/✓ accepted/);
    await s.page.selectOption("#example-select", "xdp_lb");
    expect(await verified(s.page)).toMatch(/✓ accepted · xdp_lb/);
    await s.page.click("button[data-tab=run]");
    await s.page.click("#run-btn");
    expect(await s.page.textContent("#run-action")).toBe("XDP_TX");
    expect(s.errors).toEqual([]);
    await s.page.close();
  });
});
