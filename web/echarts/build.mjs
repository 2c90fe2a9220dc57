// Builds the JavaScript that attnviz embeds (viz/internal/echarts/assets/):
//
//   echarts.min.js   Apache ECharts with only the parts the views use (entry.js)
//   inflate.min.js   fflate's raw-deflate decoder (inflate.js)
//   LICENSE-*        the licences of what the two files contain
//
// from the npm packages pinned in web/package-lock.json (npm ci in web/, which
// scripts/setup-browser.sh runs), with esbuild. The output depends only on those
// versions and these sources: viz/internal/echarts's TestBundleReproducible
// rebuilds it into a temporary folder and compares it byte for byte.
//
//   node web/echarts/build.mjs [OUTDIR]      (default: viz/internal/echarts/assets)
import * as esbuild from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.dirname(here);
const out = path.resolve(process.argv[2] || path.join(web, "..", "viz", "internal", "echarts", "assets"));
// The packages as npm ci laid them out (zrender and tslib are echarts' dependencies).
const pkgDir = (p) => {
  for (const d of [path.join(web, "node_modules", p), path.join(web, "node_modules", "echarts", "node_modules", p)]) {
    if (fs.existsSync(path.join(d, "package.json"))) return d;
  }
  throw new Error(`${p} is not installed: run npm ci in web/ (scripts/setup-browser.sh)`);
};
const version = (p) => JSON.parse(fs.readFileSync(path.join(pkgDir(p), "package.json"), "utf8")).version;

const common = {
  bundle: true, minify: true, format: "iife", target: "es2017", write: false,
  legalComments: "none", charset: "utf8", logLevel: "warning", absWorkingDir: web,
  define: { "process.env.NODE_ENV": '"production"' },
};

async function build(entry, globalName, header) {
  const r = await esbuild.build({ ...common, entryPoints: [path.join(here, entry)], globalName });
  const js = header + r.outputFiles[0].text;
  for (const bad of ["</script", "<!--", "<script"]) {
    if (js.toLowerCase().includes(bad)) throw new Error(`${entry}: the build contains ${bad}, which would end or confuse an HTML <script>`);
  }
  return js;
}

const ev = version("echarts"), zv = version("zrender"), fv = version("fflate"), tv = version("tslib");
const files = {
  "echarts.min.js": await build("entry.js", "attnvizECharts",
    `/*! Apache ECharts ${ev} (Apache-2.0) with ZRender ${zv} (BSD-3-Clause) and tslib ${tv} (0BSD): a custom build for attnviz ` +
    `(web/echarts/entry.js, esbuild ${esbuild.version}). Licences: LICENSE, NOTICE, LICENSE-d3, LICENSE-zrender, LICENSE-tslib. */\n`),
  "inflate.min.js": await build("inflate.js", "attnvizInflate",
    `/*! fflate ${fv} inflateSync (MIT, LICENSE-fflate), esbuild ${esbuild.version} */\n`),
  "LICENSE": fs.readFileSync(path.join(pkgDir("echarts"), "LICENSE"), "utf8"),
  "NOTICE": fs.readFileSync(path.join(pkgDir("echarts"), "NOTICE"), "utf8"),
  "LICENSE-d3": fs.readFileSync(path.join(pkgDir("echarts"), "licenses", "LICENSE-d3"), "utf8"),
  "LICENSE-zrender": fs.readFileSync(path.join(pkgDir("zrender"), "LICENSE"), "utf8"),
  "LICENSE-tslib": fs.readFileSync(path.join(pkgDir("tslib"), "LICENSE.txt"), "utf8"),
  "LICENSE-fflate": fs.readFileSync(path.join(pkgDir("fflate"), "LICENSE"), "utf8"),
  "VERSIONS": `echarts ${ev}\nzrender ${zv}\ntslib ${tv}\nfflate ${fv}\nesbuild ${esbuild.version}\n`,
};
fs.mkdirSync(out, { recursive: true });
for (const [name, text] of Object.entries(files)) {
  fs.writeFileSync(path.join(out, name), text);
  console.log(`${name.padEnd(16)} ${String(Buffer.byteLength(text)).padStart(8)} bytes`);
}
