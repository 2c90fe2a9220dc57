// Times pages of interactive figures in headless Chromium: for each file,
// RUNS fresh loads; each reports when the last of its WANT figures painted
// (the figures' data-av-painted stamps, ms since navigation). Prints one
// JSON line per file with the median and every run.
//
//   node web/paint10.mjs WANT RUNS FILE...
import { chromium } from "playwright-core";
const [want, runs, ...files] = [+process.argv[2], +process.argv[3], ...process.argv.slice(4)];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"] });
for (const file of files) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto("file://" + file, { waitUntil: "load", timeout: 120000 });
    await page.waitForFunction((n) => document.querySelectorAll("div[data-av][data-av-painted]").length >= n, want, { timeout: 120000 });
    ms.push(await page.evaluate(() => Math.max(...[...document.querySelectorAll("div[data-av][data-av-painted]")].map((e) => +e.getAttribute("data-av-painted")))));
    await page.close();
  }
  const s = [...ms].sort((a, b) => a - b);
  console.log(JSON.stringify({ file, medianMs: s[s.length >> 1], runs: ms }));
}
await browser.close();
