// Renders executed attnviz notebooks in every notebook frontend we can run
// headless, in one Chromium, several pages at once, and counts the
// interactive figures that painted (and, where scripts must not run, the
// fallback images shown). Driven by viz/interactive_frontends_test.go.
//
//   node web/frontends.mjs MANIFEST.json
//
// MANIFEST: {
//   lite: {site: DIR, notebooks: {NAME: FILE}},   JupyterLite site (JupyterLab 4, Notebook 7)
//   scenarios: [{name, kind, ...}], parallel: N
// }
// kind "lite":   {app: "lab"|"notebooks", nb: NAME, windowing, vw, vh, scroll, expect, fallback}
// kind "file":   {file: PATH, expect, fallback, frames}      a page from file:// (nbconvert, Colab-like, VS Code-like)
// kind "url":    {url, expect, fallback}                     a page of a live server (classic Notebook 6)
// kind "nb6live":{url, expect}                               run the cells, reload, run the last cell again
//
// Prints one JSON line per scenario: {name, painted, expect, fallbacks, blank, ok, errors, ms}.
// Exit status 1 when a scenario's count differs from what it expects.
import { chromium } from "playwright-core";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const manifest = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const limit = +(process.env.FRONTENDS_LIMIT_S || 1500);
setTimeout(() => { console.error(`frontends.mjs: gave up after ${limit} s`); process.exit(3); }, limit * 1000).unref();

// ---------- JupyterLite site, served with a few files replaced ----------
// The @galaxyproject/jupyterlite build: its config-utils.js drops the
// settingsOverrides of jupyter-lite.json (we serve it without the Galaxy block,
// so that the windowing mode can be set), its extensions are switched off (no
// kernel, no AI panel: the outputs are what is tested), and its contents come
// from api/contents/all.json + files/ (its in-memory storage loses files
// between /lab and /notebooks, so every page reads them from the server).
let liteBase = null;
const types = { ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json", ".html": "text/html",
  ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon", ".wasm": "application/wasm",
  ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".ipynb": "application/json", ".map": "application/json" };

function liteServer(site, notebooks) {
  const now = new Date(0).toISOString();
  const listing = {
    name: "", path: "", type: "directory", format: "json", mimetype: null, created: now, last_modified: now, writable: true, size: null,
    content: Object.keys(notebooks).map((n) => ({ name: n, path: n, type: "notebook", format: null, mimetype: null, content: null,
      created: now, last_modified: now, writable: true, size: fs.statSync(notebooks[n]).size })),
  };
  const cfgUtils = fs.readFileSync(path.join(site, "config-utils.js"), "utf8").replace(/\/\/__GXY__INJECTION__[\s\S]*\/\/__GXY__INJECTION__/, "");
  const rootCfg = JSON.parse(fs.readFileSync(path.join(site, "jupyter-lite.json"), "utf8"));
  function config(windowing) {
    const c = JSON.parse(JSON.stringify(rootCfg));
    const d = c["jupyter-config-data"];
    d.federated_extensions = [];
    d.contentsAllJsonFile = "all.json";
    d.litePluginSettings = {};
    d.settingsOverrides = {
      "@jupyterlab/notebook-extension:tracker": { windowingMode: windowing },
      "@jupyterlab/apputils-extension:notification": { fetchNews: "false", checkForUpdates: false },
    };
    return JSON.stringify(c);
  }
  const srv = http.createServer((req, res) => {
    const u = new URL(req.url, "http://x");
    const m = u.pathname.match(/^\/w-([a-zA-Z]+)(\/.*)$/);
    if (!m) { res.writeHead(404); res.end(); return; }
    const [, windowing, rel] = m;
    const send = (body, type) => { res.writeHead(200, { "content-type": type, "cache-control": "no-store" }); res.end(body); };
    if (rel === "/config-utils.js") return send(cfgUtils, types[".js"]);
    if (rel === "/jupyter-lite.json") return send(config(windowing), types[".json"]);
    if (rel === "/api/contents/all.json") return send(JSON.stringify(listing), types[".json"]);
    if (rel.startsWith("/files/")) {
      const n = decodeURIComponent(rel.slice(7));
      if (notebooks[n]) return send(fs.readFileSync(notebooks[n]), types[".json"]);
    }
    let f = path.join(site, path.normalize(decodeURIComponent(rel)).replace(/^(\.\.[/\\])+/, ""));
    if (fs.existsSync(f) && fs.statSync(f).isDirectory()) f = path.join(f, "index.html");
    if (!f.startsWith(site) || !fs.existsSync(f)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { "content-type": types[path.extname(f)] || "application/octet-stream", "cache-control": "max-age=3600" });
    fs.createReadStream(f).pipe(res);
  });
  return new Promise((ok) => srv.listen(0, "127.0.0.1", () => { srv.unref(); ok(`http://127.0.0.1:${srv.address().port}`); }));
}

// ---------- counting ----------
// In every frame: the attnviz figures that painted (a mounted element whose
// canvases hold more than the background), the fallback images and notes
// visible, and the figure outputs that show nothing.
function countInFrame() {
  const out = { painted: [], blankCharts: 0, fallbacks: 0, blank: 0, figures: 0 };
  for (const root of document.querySelectorAll("div[data-av-painted]")) {
    let px = 0;
    for (const c of root.querySelectorAll(".attnviz-chart canvas")) {
      const ctx = c.getContext("2d");
      if (!ctx || !c.width || !c.height) continue;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length && px < 200; i += 64) if (Math.abs(d[i] - d[0]) + Math.abs(d[i + 1] - d[1]) + Math.abs(d[i + 2] - d[2]) > 24) px++;
    }
    if (px >= 20) out.painted.push(root.getAttribute("data-av") + "#" + (root.getAttribute("data-av-seq") || ""));
    else out.blankCharts++;
  }
  // Figure outputs, mounted or not: the container keeps its class through
  // sanitizers (JupyterLab, nbconvert --sanitize-html). Where scripts do not
  // run, each figure output must show a picture: our fallback image inside
  // it, or the output's image/png (the classic Notebook shows that one for
  // untrusted outputs).
  const visible = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e); return r.width > 8 && r.height > 8 && s.display !== "none" && s.visibility !== "hidden"; };
  for (const img of document.querySelectorAll("img")) {
    if ((img.getAttribute("src") || "").startsWith("data:image/png") && img.complete && img.naturalWidth > 0 && visible(img) && !img.closest("[data-av-painted]")) out.fallbacks++;
  }
  for (const fig of document.querySelectorAll(".attnviz")) {
    if (fig.parentElement && fig.parentElement.closest(".attnviz")) continue;
    out.figures++;
    if (fig.hasAttribute("data-av-painted")) continue;
    const img = [...fig.querySelectorAll("img")].find((i) => i.complete && i.naturalWidth > 0 && visible(i));
    const note = [...fig.querySelectorAll(".attnviz-noscript")].find((p) => visible(p) && p.textContent.length > 20);
    if (!img && !note) out.blank++;
  }
  return out;
}

async function count(page) {
  const tot = { painted: [], blankCharts: 0, fallbacks: 0, blank: 0, figures: 0 };
  for (const f of page.frames()) {
    const r = await f.evaluate(countInFrame).catch(() => null);
    if (!r) continue;
    tot.painted.push(...r.painted); tot.blankCharts += r.blankCharts; tot.fallbacks += r.fallbacks; tot.blank += r.blank; tot.figures += r.figures;
  }
  return tot;
}

async function dismissDialogs(page) {
  // JupyterLite has no kernel for the notebook: close "Select Kernel" & co.
  for (const sel of [".jp-Dialog button.jp-mod-reject", ".jp-Dialog button.jp-mod-accept"]) {
    const b = await page.$(sel);
    if (b) { await b.click().catch(() => {}); await page.waitForTimeout(100); }
  }
}

// Scrolls the notebook from top to bottom a viewport at a time, collecting
// the figures painted on the way (windowed notebooks detach cells outside
// the viewport), until all are seen or the bottom is reached.
async function scrollThrough(page, sc, seen) {
  const scroller = await page.evaluateHandle(() => {
    const cands = [...document.querySelectorAll(".jp-WindowedPanel-outer, .jp-NotebookPanel-notebook, .jp-Notebook, #notebook, html")];
    return cands.find((e) => e.scrollHeight > e.clientHeight + 10) || document.scrollingElement;
  });
  for (let i = 0; i < 200; i++) {
    const c = await count(page);
    c.painted.forEach((id) => seen.add(id));
    if (seen.size >= sc.expect && i > 0) break;
    const atEnd = await scroller.evaluate((e) => { const before = e.scrollTop; e.scrollTop = before + e.clientHeight * 0.8; return e.scrollTop === before; });
    await page.waitForTimeout(atEnd ? 600 : 350);
    if (atEnd) { const c2 = await count(page); c2.painted.forEach((id) => seen.add(id)); break; }
  }
}

async function waitPainted(page, sc, seen, ms) {
  const t0 = Date.now();
  for (;;) {
    const c = await count(page);
    c.painted.forEach((id) => seen.add(id));
    if (seen.size >= sc.expect && (!sc.fallback || c.fallbacks >= sc.fallback)) return c;
    if (Date.now() - t0 > ms) return c;
    await dismissDialogs(page);
    await page.waitForTimeout(250);
  }
}

async function runScenario(ctx, sc) {
  const r = { name: sc.name, expect: sc.expect, painted: 0, fallbacks: 0, blank: 0, blankCharts: 0, ok: true, errors: [], ms: 0 };
  const page = await ctx.newPage();
  page.setViewportSize({ width: sc.vw || 1400, height: sc.vh || 1000 });
  page.setDefaultTimeout(30000);
  const errs = [];
  // Errors of the page are logged; those of our runtime (its console lines
  // start "attnviz:", its stack names it) fail the scenario. JupyterLite's
  // own (seen: a bare "undefined" thrown in every Lite scenario, with no
  // stack in our code) are logged only.
  const ours = [];
  page.on("pageerror", (e) => {
    const m = "pageerror: " + String(e && e.message !== undefined ? e.message : e).slice(0, 200);
    (/attnviz|rt\.boot/i.test(m + " " + ((e && e.stack) || "")) ? ours : errs).push(m);
  });
  page.on("console", (m) => { if (/^attnviz:/i.test(m.text())) ours.push(m.type() + ": " + m.text().slice(0, 200)); });
  const t0 = Date.now();
  const seen = new Set();
  let last = null;
  try {
    if (sc.kind === "lite") {
      await page.goto(`${liteBase}/w-${sc.windowing || "contentVisibility"}/${sc.app}/index.html?path=${encodeURIComponent(sc.nb)}`, { waitUntil: "load", timeout: 180000 });
      await page.waitForSelector(".jp-Notebook .jp-Cell", { timeout: 360000 });
      await page.waitForTimeout(500);
      await dismissDialogs(page);
      if (sc.scroll) {
        await waitPainted(page, { expect: 1 }, seen, 120000);
        await scrollThrough(page, sc, seen);
        last = await count(page);
      } else {
        last = await waitPainted(page, sc, seen, 120000);
      }
    } else if (sc.kind === "file" || sc.kind === "url") {
      await page.goto(sc.kind === "file" ? "file://" + sc.file : sc.url, { waitUntil: "load", timeout: 240000 });
      last = await waitPainted(page, sc, seen, sc.kind === "url" ? 60000 : 30000);
    } else if (sc.kind === "nb6live") {
      // The classic Notebook with a live kernel: run every cell, reload the
      // page while the kernel keeps running, run the figure cells again.
      const runAll = async () => {
        await page.waitForFunction(() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected(), null, { timeout: 60000 });
        await page.evaluate(() => { Jupyter.notebook.clear_all_output(); Jupyter.notebook.execute_all_cells(); });
      };
      await page.goto(sc.url, { waitUntil: "load", timeout: 240000 });
      await runAll();
      const before = await waitPainted(page, sc, new Set(), 90000);
      r.beforeReload = before.painted.length;
      await page.reload({ waitUntil: "load" });
      await runAll();
      last = await waitPainted(page, sc, seen, 90000);
      r.afterReload = seen.size;
      if (r.beforeReload < sc.expect) r.errors.push(`before the reload ${r.beforeReload} of ${sc.expect} painted`);
    }
  } catch (e) {
    r.errors.push(e.message.split("\n")[0]);
  }
  if (last) {
    last.painted.forEach((id) => seen.add(id));
    Object.assign(r, { fallbacks: last.fallbacks, blank: last.blank, blankCharts: last.blankCharts, figures: last.figures });
  }
  r.painted = seen.size;
  r.ms = Date.now() - t0;
  if (r.painted !== sc.expect) r.errors.push(`painted ${r.painted} of ${sc.expect} interactive figures`);
  if (sc.fallback !== undefined && r.fallbacks < sc.fallback) r.errors.push(`fallback image shown in ${r.fallbacks} of ${sc.fallback} figure outputs`);
  if (r.blank) r.errors.push(`${r.blank} figure output(s) show nothing`);
  if (r.blankCharts) r.errors.push(`${r.blankCharts} chart(s) mounted but blank`);
  if (ours.length) r.errors.push(...ours.slice(0, 5));
  if (errs.length) r.console = errs.slice(0, 5);
  if (sc.screenshot) await page.screenshot({ path: sc.screenshot }).catch(() => {});
  r.ok = r.errors.length === 0;
  await page.close().catch(() => {});
  console.log(JSON.stringify(r));
  return r;
}

if (manifest.lite) liteBase = await liteServer(path.resolve(manifest.lite.site), manifest.lite.notebooks);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"],
});
// One context: the pages share the HTTP cache (JupyterLite's bundles load once).
const ctx = await browser.newContext({ serviceWorkers: "block" });
const queue = [...manifest.scenarios];
const results = [];
async function worker() { for (let sc; (sc = queue.shift());) results.push(await runScenario(ctx, sc)); }
await Promise.all(Array.from({ length: manifest.parallel || 2 }, worker));
await browser.close();
process.exit(results.every((r) => r.ok) ? 0 : 1);
