// Opens a notebook in a running classic Jupyter Notebook 6 server in headless
// Chromium and checks that every attnviz output painted: the first output
// carries the ECharts script (the page has require.js loaded), later ones
// wait for window.echarts. Prints one JSON line; exit 1 on failure.
//
//   node web/notebook.mjs URL WANT_CHARTS
import { chromium } from "playwright-core";

const [url, want] = [process.argv[2], +process.argv[3]];
setTimeout(() => { console.error("notebook.mjs: gave up after 120 s"); process.exit(3); }, 120000).unref();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const errors = [], foreign = [];
const all = [];
page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") all.push(m.text().slice(0, 300)); });
page.on("pageerror", (e) => all.push("pageerror: " + e.message.slice(0, 300)));
page.on("console", (m) => { if (m.type() === "error" && /attnviz|echarts|define|mismatch/i.test(m.text())) errors.push(m.text()); });
page.on("pageerror", (e) => { if (/attnviz|echarts|define|mismatch/i.test(e.message + e.stack)) errors.push(e.message); });
page.on("request", (q) => { const u = new URL(q.url()); if (!["127.0.0.1", "localhost"].includes(u.hostname) && !q.url().startsWith("data:")) foreign.push(q.url()); });
const r = { ok: true, errors };
try {
  await page.goto(url, { waitUntil: "load", timeout: 60000 });
  await page.waitForFunction((n) => document.querySelectorAll("div[data-av][data-av-painted]").length >= n, want, { timeout: 60000 });
  Object.assign(r, await page.evaluate(() => ({
    painted: document.querySelectorAll("div[data-av][data-av-painted]").length,
    amd: typeof window.define === "function" && !!window.define.amd,
    echarts: !!window.echarts && window.echarts.version,
    requirejs: typeof window.requirejs === "function",
    fallbackHidden: [...document.querySelectorAll("img.attnviz-fallback")].every((i) => i.style.display === "none"),
  })));
  if (!r.requirejs) errors.push("the page has no require.js: not the classic Notebook?");
  if (!r.amd) errors.push("require.js's define was lost");
  if (!r.fallbackHidden) errors.push("a fallback image is still shown");
} catch (e) {
  errors.push(e.message.split("\n")[0]);
  r.painted = await page.evaluate(() => document.querySelectorAll("div[data-av][data-av-painted]").length).catch(() => -1);
}
if (errors.length) r.console = all.slice(0, 10);
if (foreign.length) errors.push("requests off the machine: " + foreign.slice(0, 3).join(" "));
if (process.env.NB_SCREENSHOT) await page.screenshot({ path: process.env.NB_SCREENSHOT, fullPage: true }).catch(() => {});
r.ok = errors.length === 0;
console.log(JSON.stringify(r));
await browser.close();
process.exit(r.ok ? 0 : 1);
