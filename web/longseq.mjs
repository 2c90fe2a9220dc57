// Long interactive heatmaps (issue 16) in headless Chromium: for each page,
// RUNS fresh loads (median of the paint stamps, ms after navigation), then
// on the last load the time to decode every cell's values (data-av-detail),
// the hover latency over the overview and, zoomed to 256×256 cells, over
// single cells (mouse moved → tooltip changed, one animation frame
// included), and the time to repaint after that zoom. Prints one JSON
// array: [{file, paint, paints, detail, hover, hoverMax, zoom, tipBlock,
// tipCell}] in the order of the files.
//
//   node web/longseq.mjs [--runs N] FILE.html...
import { chromium } from "playwright-core";

const args = process.argv.slice(2);
let runs = 3;
if (args[0] === "--runs") { runs = +args[1]; args.splice(0, 2); }
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"] });
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[s.length >> 1] : -1; };

async function hover(page, i, j) {
  const p = await page.evaluate(([i, j]) => {
    const hm = document.querySelector("div[data-av]")._attnviz.heat, g = hm.geom;
    const box = hm.chart.getDom().getBoundingClientRect();
    return [box.left + g.x0 + (j + 0.5) * g.bw, box.top + g.y0 + (i + 0.5) * g.bh, hm.tip.node.textContent];
  }, [i, j]);
  const t0 = Date.now();
  await page.mouse.move(p[0], p[1]);
  await page.waitForFunction((prev) => {
    const t = document.querySelector("div[data-av] .attnviz-tip");
    return t && t.style.display === "block" && t.textContent !== prev;
  }, p[2], { polling: "raf", timeout: 20000 });
  const ms = Date.now() - t0;
  return [ms, await page.evaluate(() => document.querySelector("div[data-av] .attnviz-tip").textContent)];
}

const out = [];
for (const file of args) {
  const r = { file, paints: [], hovers: [] };
  let page;
  for (let k = 0; k < runs; k++) {
    if (page) await page.close();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("crash", () => console.error("page crashed: " + file));
    page.on("pageerror", (e) => console.error("page error: " + e.message));
    await page.goto("file://" + file, { waitUntil: "load", timeout: 180000 });
    await page.waitForSelector("div[data-av][data-av-painted]", { timeout: 180000 });
    r.paints.push(+(await page.getAttribute("div[data-av]", "data-av-painted")));
  }
  r.paint = median(r.paints);
  const n = await page.evaluate(() => document.querySelector("div[data-av]")._attnviz.heat.m.rows);
  const big = await page.evaluate(() => !!document.querySelector("div[data-av]")._attnviz.heat.m.big);
  if (big) {
    await page.waitForSelector("div[data-av] [data-av-detail]", { timeout: 180000 }).catch(() => {});
    r.detail = +((await page.getAttribute("div[data-av] [data-av-detail]", "data-av-detail").catch(() => null)) ?? -1);
  }
  for (let s = 1; s <= 6; s++) {
    const [ms, t] = await hover(page, Math.floor(n * s / 7), Math.floor(n * (7 - s) / 9));
    r.hovers.push(ms); r.tipBlock = t;
  }
  // zoom to 256×256 cells in the middle, then hover single cells
  const z0 = Math.max(0, (n >> 1) - 128), z1 = Math.min(n - 1, z0 + 255);
  r.zoom = await page.evaluate(([a, b]) => {
    const ch = document.querySelector("div[data-av]")._attnviz.heat.chart;
    const t0 = performance.now();
    ch.dispatchAction({ type: "dataZoom", dataZoomIndex: 0, startValue: a, endValue: b });
    ch.dispatchAction({ type: "dataZoom", dataZoomIndex: 1, startValue: a, endValue: b });
    ch.getZr().flush();
    return Math.round(performance.now() - t0);
  }, [z0, z1]);
  for (let s = 1; s <= 6; s++) {
    const [ms, t] = await hover(page, z0 + 40 * s, z0 + 37 * s - 20);
    r.hovers.push(ms); r.tipCell = t;
  }
  r.hover = median(r.hovers);
  r.hoverMax = Math.max(...r.hovers);
  await page.close();
  out.push(r);
}
await browser.close();
console.log(JSON.stringify(out));
