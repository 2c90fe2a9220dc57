import { chromium } from "playwright-core";
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox","--disable-gpu"] });
const ctx = await browser.newContext({ serviceWorkers: "block" });
const page = await ctx.newPage();
page.on("pageerror", (e) => console.log("pageerror", e, e && e.stack));
page.on("console", (m) => console.log("console", m.type(), m.text().slice(0,300)));
page.on("requestfailed", (r) => console.log("failed", r.url()));
const t0=Date.now();
await page.goto(process.argv[2], { waitUntil: "load" });
for(let i=0;i<12;i++){await page.waitForTimeout(5000);console.log("t",Date.now()-t0,await page.evaluate(()=>[document.querySelectorAll(".jp-Cell").length,document.querySelectorAll("div[data-av-painted]").length,document.querySelectorAll(".attnviz").length]));}
console.log("t", Date.now()-t0, await page.evaluate(() => document.querySelectorAll(".jp-Cell").length));
await page.screenshot({ path: "/tmp/fe-out/dbg.png" });
await browser.close();
