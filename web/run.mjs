// Drives headless Chromium over the pages that viz's browser test writes.
//
//   node web/run.mjs MANIFEST.json
//
// MANIFEST lists pages and what to check on each (see
// viz/interactive_browser_test.go). Prints one JSON line per page with the
// measurements and exits 1 if any check failed, printing why.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

const manifestPath = process.argv[2];
if (!manifestPath) {
  console.error("usage: node web/run.mjs MANIFEST.json");
  process.exit(2);
}
const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
const dir = path.dirname(path.resolve(manifestPath));
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

// Per-action timeouts below; this catches anything else that hangs.
const limit = +(process.env.RUN_MJS_LIMIT_S || 840);
setTimeout(() => { console.error(`run.mjs: gave up after ${limit} s`); process.exit(3); }, limit * 1000).unref();

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"],
});

let failed = 0;
const results = [];

function fail(r, msg) {
  r.ok = false;
  r.errors.push(msg);
}

async function painted(page, sel) {
  // Count pixels that differ from the chart background on every ECharts canvas in sel.
  return page.evaluate((sel) => {
    const root = document.querySelector(sel);
    let n = 0;
    for (const c of root.querySelectorAll(".attnviz-chart canvas")) {
      const ctx = c.getContext("2d");
      if (!ctx) continue;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const r0 = d[0], g0 = d[1], b0 = d[2];
      for (let i = 0; i < d.length; i += 16) {
        if (Math.abs(d[i] - r0) + Math.abs(d[i + 1] - g0) + Math.abs(d[i + 2] - b0) > 24) n++;
      }
    }
    return n;
  }, sel);
}

async function canvasHash(page, sel) {
  return page.evaluate((sel) => {
    const root = document.querySelector(sel);
    let h = 2166136261 >>> 0;
    for (const c of root.querySelectorAll(".attnviz-chart canvas")) {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 28) h = Math.imul(h ^ d[i], 16777619) >>> 0;
    }
    return h;
  }, sel);
}

async function tipText(page, sel) {
  return page.evaluate((sel) => {
    const tips = [...document.querySelectorAll(sel + " .attnviz-tip")].filter((t) => t.style.display === "block");
    return tips.length ? tips[0].textContent : null;
  }, sel);
}

// Moves the mouse over heatmap cell (i, j) of the Heat object at root._attnviz.heat.
async function hoverCell(page, sel, i, j) {
  const p = await page.evaluate(([sel, i, j]) => {
    const root = document.querySelector(sel);
    const hm = root._attnviz.heat;
    const g = hm.geom;
    const box = hm.chart.getDom().getBoundingClientRect();
    return [box.left + g.x0 + (j + 0.5) * g.bw, box.top + g.y0 + (i + 0.5) * g.bh];
  }, [sel, i, j]);
  await page.mouse.move(p[0], p[1]);
  await page.waitForTimeout(30);
  return p;
}

// Zooms both axes of the heatmap at root._attnviz.heat as the mouse wheel or
// the sliders do: range is { start, end } in percent or { startValue,
// endValue } in cells.
async function zoomBoth(page, sel, range) {
  await page.evaluate(([sel, range]) => {
    const ch = document.querySelector(sel)._attnviz.heat.chart;
    for (const dataZoomIndex of [0, 1]) ch.dispatchAction({ type: "dataZoom", dataZoomIndex, ...range });
    ch.getZr().flush();
  }, [sel, range]);
  await page.waitForTimeout(50);
}

async function step(page, r, name, fn) {
  try {
    await fn();
  } catch (e) {
    fail(r, name + ": " + (e && e.message ? e.message.split("\n")[0] : e));
  }
}

for (const pg of manifest.pages) {
  const file = path.join(dir, pg.file);
  const r = { file: pg.file, ok: true, errors: [], bytes: fs.statSync(file).size };
  const page = await browser.newPage({ viewport: { width: pg.vw || 1400, height: pg.vh || 1000 } });
  page.setDefaultTimeout(15000);
  const consoleErrors = [];
  const requests = [];
  let dialogs = 0;
  page.on("console", (m) => { if ((m.type() === "error" || m.type() === "warning") && !m.text().includes("willReadFrequently")) consoleErrors.push(m.type() + ": " + m.text()); });
  page.on("pageerror", (e) => consoleErrors.push("pageerror: " + e.message));
  page.on("dialog", async (d) => { dialogs++; await d.dismiss(); });
  const url = "file://" + file;
  page.on("request", (q) => { if (q.url() !== url) requests.push(q.url()); });
  const sel = pg.waitFor || "div[data-av]";
  const body = sel + " .attnviz-body";
  const t0 = Date.now();
  try {
    await page.goto(url, { waitUntil: "load", timeout: 120000 });
    if (pg.waitFor) {
      // A peer's page (plotly): painted when its selector exists.
      await page.waitForFunction((s) => !!document.querySelector(s), pg.waitFor, { timeout: 300000, polling: "raf" });
      r.paintMs = await page.evaluate(() => performance.now());
    } else {
      await page.waitForSelector(sel + "[data-av-painted]", { timeout: 120000 });
    }
  } catch (e) {
    fail(r, "did not paint: " + e.message.split("\n")[0]);
  }
  r.loadMs = Date.now() - t0;
  if (!pg.waitFor) r.paintMs = await page.evaluate((sel) => { const e = document.querySelector(sel); return e ? +e.getAttribute("data-av-painted") : -1; }, sel).catch(() => -1);
  r.heapMB = await page.evaluate(() => performance.memory ? Math.round(performance.memory.usedJSHeapSize / 1048576) : -1).catch(() => -1);
  if (r.ok && !pg.waitFor) {
    await step(page, r, "painted", async () => {
      const n = await painted(page, sel);
      r.paintedPx = n;
      if (n < (pg.minPainted || 200)) throw new Error(`canvas looks blank: ${n} painted samples`);
    });
    for (const c of pg.checks || []) {
      await step(page, r, c.do, async () => {
        if (c.do === "hover") {
          await hoverCell(page, sel, c.i, c.j);
          const t = await tipText(page, sel);
          if (t !== c.want) throw new Error(`tooltip at (${c.i},${c.j}) = ${JSON.stringify(t)}, want ${JSON.stringify(c.want)}`);
        } else if (c.do === "zoom") {
          // Zoom both axes to start … end %, then hover.
          await zoomBoth(page, sel, { start: c.start, end: c.end });
          const bw = await page.evaluate((sel) => document.querySelector(sel)._attnviz.heat.geom.bw, sel);
          if (!(bw > c.minBand)) throw new Error(`after zooming to ${c.start}-${c.end}%, cells are ${bw} px wide`);
          await hoverCell(page, sel, c.i, c.j);
          const t = await tipText(page, sel);
          if (t !== c.want) throw new Error(`zoomed tooltip at (${c.i},${c.j}) = ${JSON.stringify(t)}, want ${JSON.stringify(c.want)}`);
          // The axis labels follow the zoom: each shown label is its own token.
          const labels = await page.evaluate((sel) => {
            const ch = document.querySelector(sel)._attnviz.heat.chart;
            return ["xAxis", "yAxis"].map((a) => ch.getModel().getComponent(a, 0).axis.getViewLabels().map((l) => [l.tickValue, l.formattedLabel]));
          }, sel);
          labels.forEach((ls, ax) => {
            const toks = ax === 0 ? c.kLabels : c.qLabels;
            if (!ls.length) throw new Error("no axis labels after zoom");
            for (const [i, text] of ls) if (text !== toks[i]) throw new Error(`${ax ? "y" : "x"} label for index ${i} is ${JSON.stringify(text)}, want ${JSON.stringify(toks[i])}`);
          });
        } else if (c.do === "hoverContains") {
          await hoverCell(page, sel, c.i, c.j);
          const t = await tipText(page, sel);
          if (!t || !t.includes(c.want)) throw new Error(`tooltip at (${c.i},${c.j}) = ${JSON.stringify(t)}, want it to contain ${JSON.stringify(c.want)}`);
        } else if (c.do === "waitDetail") {
          // a long heatmap: every cell's values decoded (after the paint)
          await page.waitForSelector(sel + " [data-av-detail]", { timeout: 120000 });
          r.detailMs = +(await page.getAttribute(sel + " [data-av-detail]", "data-av-detail"));
        } else if (c.do === "zoomCells") {
          // zoom both axes to cells a … b, then hover (i, j)
          await zoomBoth(page, sel, { startValue: c.a, endValue: c.b });
          await hoverCell(page, sel, c.i, c.j);
          const t = await tipText(page, sel);
          if (t !== c.want) throw new Error(`zoomed tooltip at (${c.i},${c.j}) = ${JSON.stringify(t)}, want ${JSON.stringify(c.want)}`);
          const lv = await page.evaluate((sel) => document.querySelector(sel)._attnviz.heat.m.big.level, sel);
          if (lv !== "cells") throw new Error(`zoomed to ${c.a}…${c.b}: shows ${lv}, want cells`);
        } else if (c.do === "hoverRespond") {
          const t1 = Date.now();
          await hoverCell(page, sel, c.i, c.j);
          const t = await tipText(page, sel);
          r.hoverMs = Date.now() - t1;
          if (!t || !t.startsWith(c.prefix)) throw new Error(`tooltip = ${JSON.stringify(t)}, want prefix ${JSON.stringify(c.prefix)}`);
        } else if (c.do === "clickRow") {
          await hoverCell(page, sel, c.i, c.j);
          await page.mouse.down(); await page.mouse.up();
          await page.waitForTimeout(50);
          const s = await page.textContent(sel + " .attnviz-status");
          if (!s.includes(c.wantStatus)) throw new Error(`status after click = ${JSON.stringify(s)}, want it to contain ${JSON.stringify(c.wantStatus)}`);
        } else if (c.do === "select") {
          const before = await canvasHash(page, sel);
          const t1 = Date.now();
          await page.selectOption(sel + " select." + c.cls, String(c.value));
          await page.waitForTimeout(60);
          r[c.cls + "Ms"] = Date.now() - t1;
          const attr = await page.getAttribute(body, c.attr);
          if (attr !== String(c.value)) throw new Error(`after choosing ${c.cls}=${c.value}, ${c.attr}=${attr}`);
          if (c.changes !== false) {
            const after = await canvasHash(page, sel);
            if (after === before) throw new Error(`choosing ${c.cls}=${c.value} did not change the picture`);
          }
          if (c.wantTitle) {
            const title = await page.evaluate((sel) => document.querySelector(sel)._attnviz.heat.chart.getOption().title[0].text, sel);
            if (title !== c.wantTitle) throw new Error(`title = ${JSON.stringify(title)}, want ${JSON.stringify(c.wantTitle)}`);
          }
        } else if (c.do === "thumb") {
          const p = await page.evaluate(([sel, l, h]) => {
            const root = document.querySelector(sel);
            const ch = root._attnviz.charts[0];
            const px = ch.convertToPixel({ gridIndex: 0 }, ["H" + h, "L" + l]);
            const b = ch.getDom().getBoundingClientRect();
            return [b.left + px[0], b.top + px[1]];
          }, [sel, c.layer, c.head]);
          await page.mouse.click(p[0], p[1]);
          await page.waitForTimeout(60);
          const l = await page.getAttribute(body, "data-layer"), h = await page.getAttribute(body, "data-head");
          if (l !== String(c.layer) || h !== String(c.head)) throw new Error(`thumbnail click opened layer ${l} head ${h}, want ${c.layer}/${c.head}`);
        } else if (c.do === "squareThumbs") {
          // The explorer's thumbnails: pixels per token across and down (data-thumb, "WxH").
          const t = await page.getAttribute(body, "data-thumb");
          const [w, h] = (t || "").split("x").map(Number);
          if (!(w > 0 && h > 0 && Math.abs(w - h) <= 0.02 * Math.max(w, h))) throw new Error(`thumbnail cells are ${t} px per token (across x down), want square`);
        } else if (c.do === "headToggle") {
          const before = +(await page.getAttribute(body, "data-lines"));
          const h0 = await canvasHash(page, sel);
          await page.click(sel + ` button.attnviz-headbtn[data-head="${c.head}"]`);
          await page.waitForTimeout(40);
          const pressed = await page.getAttribute(sel + ` button.attnviz-headbtn[data-head="${c.head}"]`, "aria-pressed");
          const after = +(await page.getAttribute(body, "data-lines"));
          const h1 = await canvasHash(page, sel);
          if (pressed !== "false" || after === before || h0 === h1) throw new Error(`toggling head ${c.head}: aria-pressed=${pressed}, lines ${before} -> ${after}, picture ${h0 === h1 ? "unchanged" : "changed"}`);
          await page.click(sel + ` button.attnviz-headbtn[data-head="${c.head}"]`);
        } else if (c.do === "tokenFocus") {
          const all = +(await page.getAttribute(body, "data-lines"));
          const p = await page.evaluate(([sel, i]) => {
            const root = document.querySelector(sel);
            const ch = root._attnviz.charts[0];
            const b = ch.getDom().getBoundingClientRect();
            const g = ch.getOption().graphic[0].elements.find((e) => e.id === "q" + i);
            return [b.left + g.x - 10, b.top + g.y];
          }, [sel, c.i]);
          await page.mouse.move(p[0], p[1]);
          await page.waitForTimeout(40);
          const focus = +(await page.getAttribute(body, "data-lines"));
          if (!(focus < all)) throw new Error(`hovering query ${c.i} did not focus: lines ${all} -> ${focus}`);
          await page.mouse.click(p[0], p[1]);
          await page.waitForTimeout(40);
          if ((await page.getAttribute(body, "data-pinned")) !== "q" + c.i) throw new Error("click did not pin query " + c.i);
          await page.mouse.move(p[0], p[1] + 200);
          await page.waitForTimeout(40);
          if (+(await page.getAttribute(body, "data-lines")) !== focus) throw new Error("pinned focus moved with the mouse");
          await page.mouse.click(p[0], p[1]);
          await page.waitForTimeout(40);
          if ((await page.getAttribute(body, "data-pinned")) !== "") throw new Error("second click did not release the pin");
        } else if (c.do === "stepsQuery") {
          await page.selectOption(sel + " select.attnviz-query", String(c.value));
          await page.waitForTimeout(40);
          const st = await page.evaluate((sel) => document.querySelector(sel + " .attnviz-body")._steps, sel);
          for (const [k, want] of Object.entries(c.want)) {
            const got = st[k];
            for (let x = 0; x < want.length; x++) {
              const a = got[x], b = want[x];
              if (b === null ? a !== null : Math.abs(a - b) > 1e-4 * Math.max(1, Math.abs(b))) throw new Error(`${k}[${x}] = ${a}, want ${b}`);
            }
          }
        } else if (c.do === "stripQuery") {
          const before = await canvasHash(page, sel);
          await page.selectOption(sel + " select.attnviz-query", String(c.value));
          await page.waitForTimeout(40);
          if ((await page.getAttribute(body, "data-query")) !== String(c.value)) throw new Error("query selector did not change the strip");
          if ((await canvasHash(page, sel)) === before) throw new Error("strip colours did not change");
        } else if (c.do === "annot") {
          // The numbers written in the heatmap's cells (row-major).
          const got = await page.evaluate((sel) => document.querySelector(sel)._attnviz.heat.annots, sel);
          if (JSON.stringify(got) !== JSON.stringify(c.want)) throw new Error(`cell numbers = ${JSON.stringify(got)}, want ${JSON.stringify(c.want)}`);
        } else if (c.do === "stepsLabels") {
          const got = await page.evaluate((sel) => document.querySelector(sel + " .attnviz-body")._steps.labels, sel);
          if (JSON.stringify(got) !== JSON.stringify(c.want)) throw new Error(`bar labels = ${JSON.stringify(got)}, want ${JSON.stringify(c.want)}`);
        } else if (c.do === "hostile") {
          // The page must have run none of the injected markup.
          const bad = await page.evaluate(() => ({
            pwned: window.__pwned === 1,
            imgs: document.querySelectorAll('img[src="x"], img:not(.attnviz-fallback)').length,
            scripts: [...document.querySelectorAll("script")].filter((s) => s.textContent.includes("__pwned=1") && !s.textContent.includes("\\u003c")).length,
          }));
          if (bad.pwned || bad.imgs || bad.scripts || dialogs) throw new Error("hostile text ran or became markup: " + JSON.stringify({ ...bad, dialogs }));
        } else {
          throw new Error("unknown check " + c.do);
        }
      });
    }
  }
  if (consoleErrors.length) fail(r, "console: " + consoleErrors.slice(0, 5).join(" | "));
  if (requests.length) fail(r, "network requests: " + requests.slice(0, 5).join(" "));
  if (dialogs) fail(r, `${dialogs} dialog(s) opened`);
  if (pg.screenshot) await page.screenshot({ path: path.join(dir, pg.screenshot), fullPage: true }).catch(() => {});
  await page.close();
  if (!r.ok) failed++;
  results.push(r);
  console.log(JSON.stringify(r));
}
await browser.close();
process.exit(failed ? 1 : 0);
