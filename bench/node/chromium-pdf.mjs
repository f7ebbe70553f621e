// The Chromium anchor: one headless Chromium (Debian's) printing each HTML transcript to PDF,
// the way a school would script "print to PDF" of a web page.
//
//   node chromium-pdf.mjs OUT_DIR TRANSCRIPT.html...
import { basename, join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { chromium } = require("../../tests/browser/node_modules/playwright-core");
const [out, ...files] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
const page = await browser.newPage();
for (const file of files) {
  await page.goto("file://" + file);
  await page.pdf({ path: join(out, basename(file, ".html") + ".pdf"), format: "Letter", printBackground: true });
}
await browser.close();
