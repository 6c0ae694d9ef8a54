// Builds the front-end assets into static/govuk/ (never committed; `npm ci && npm run build`).
//
// - static_src/scss/app.scss -> static/govuk/app.css (GOV.UK Frontend with our settings)
// - GOV.UK Frontend's JavaScript -> static/govuk/govuk-frontend.min.js (+ source map)
//
// No GOV.UK images, fonts or manifest are copied: this is not a GOV.UK service.

import { copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "static", "govuk");
const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");

async function buildCss() {
  const result = sass.compile(join(root, "static_src", "scss", "app.scss"), {
    loadPaths: [join(root, "node_modules")],
    style: "compressed",
    // GOV.UK Frontend 5 uses @import and global functions, which Dart Sass reports as deprecated;
    // those warnings are about the library, not about anything we can act on.
    quietDeps: true,
    silenceDeprecations: ["import", "global-builtin"],
  });
  await writeFile(join(out, "app.css"), result.css + "\n");
}

async function copyJs() {
  for (const name of ["govuk-frontend.min.js", "govuk-frontend.min.js.map"]) {
    await copyFile(join(govuk, name), join(out, name));
  }
}

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await buildCss();
await copyJs();
console.log(`Built front-end assets into ${relative(root, out)}/`);
