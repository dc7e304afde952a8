// Screenshots of the playground's main views for docs/ and the README (npm run playground:screenshots):
// the built site in Debian's chromium, driven as a reader would use it. Regenerate after UI changes and
// look at the diff.
import { join } from "node:path";
import type { Page } from "playwright-core";
import { buildPlayground, launchBrowser, ROOT, servePlaygroundDist } from "../test/support/browser.js";

const OUT = join(ROOT, "docs");

const verified = (page: Page): Promise<void> =>
  page.evaluate(() => (window as unknown as { bpfkitPlayground: { whenVerified(): Promise<void> } }).bpfkitPlayground.whenVerified());

/** Put the editor's cursor on a line (1-based) and scroll it into view. */
const gotoLine = (page: Page, line: number): Promise<void> =>
  page.evaluate((l) => (window as unknown as { bpfkitPlayground: { editor: { goto(n: number): void } } }).bpfkitPlayground.editor.goto(l), line);

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250); // let CodeMirror finish measuring
  await page.screenshot({ path: join(OUT, `playground-${name}.png`) });
  console.log(`docs/playground-${name}.png`);
}

async function main(): Promise<void> {
  buildPlayground();
  const server = await servePlaygroundDist();
  const browser = await launchBrowser({ width: 1440, height: 860 });
  try {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.waitForSelector("body[data-ready='1']");
    await verified(page);

    // 1. A rejection explained: lesson 4 (off by one) as it opens.
    await page.click("button[data-tab=course]");
    await page.click("a[data-lesson=off-by-one]");
    await verified(page);
    await page.click("button[data-tab=verifier]");
    await shot(page, "verifier");

    // 2. The verifier's state at a line: hover in the editor, and the State tab.
    await page.click("button[data-tab=course]");
    await page.click("a[data-lesson=variable-offset]");
    await page.click("text=Show a solution");
    await verified(page);
    await gotoLine(page, 20);
    await page.click("button[data-tab=state]");
    await page.hover(".cm-line:nth-child(18)", { position: { x: 60, y: 8 } });
    await page.waitForSelector(".bk-hover");
    await shot(page, "state");
    await page.mouse.move(5, 5);

    // 3. A run: the DDoS blocklist drops a blocked source and counts it.
    await page.selectOption("#example-select", "xdp_ddos_blocklist");
    await verified(page);
    await page.click("button[data-tab=run]");
    await page.click("#run-btn");
    await shot(page, "run");

    // 4. Stepping through the load balancer: registers, stack, the packet bytes an instruction reads.
    await page.selectOption("#example-select", "xdp_lb");
    await verified(page);
    await page.click("button[data-tab=run]");
    await page.click("#step-btn");
    // up to the first instruction after the 10th that reads the packet
    for (let i = 0; i < 200; i++) {
      await page.click("#step-next");
      if (i >= 10 && (await page.locator(".access.read", { hasText: "of packet" }).count())) break;
    }
    await shot(page, "step");

    // 5. Maps edited by their C types (BTF).
    await page.click("button[data-tab=maps]");
    await shot(page, "maps");

    // 6. The course, a lesson solved.
    await page.click("button[data-tab=course]");
    await page.click("a[data-lesson=null-check]");
    await page.click("text=Show a solution");
    await verified(page);
    await shot(page, "course");
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
