// Loads an HTML transcript in headless Chromium (Debian's /usr/bin/chromium), checks it with
// axe-core against WCAG 2.0, 2.1 and 2.2 A and AA, tries the keyboard, and takes screenshots.
//
//   node axe.mjs TRANSCRIPT.html SCREENSHOT.png
//
// Prints a JSON report on standard output; exits 1 if axe finds any violation or the page
// makes a network request.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const [file, screenshot] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
const requests = [];
page.on("request", (request) => {
  if (!request.url().startsWith("file:") && !request.url().startsWith("data:")) requests.push(request.url());
});
await page.goto("file://" + file);
await page.addScriptTag({ content: axeSource });

// Open every section so axe sees everything, as a reader who explores would.
await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
const results = await page.evaluate(async () =>
  await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }));
await page.screenshot({ path: screenshot, fullPage: true });

// The keyboard: the first Tab reaches the skip link; Enter on a summary opens its section.
await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = false)));
await page.keyboard.press("Tab");
const firstFocus = await page.evaluate(() => document.activeElement?.className);
const summary = page.locator("details.area > summary").first();
await summary.focus();
await page.keyboard.press("Enter");
const opened = await page.evaluate(() => document.querySelector("details.area").open);

await browser.close();
const report = {
  violations: results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) })),
  passes: results.passes.length,
  requests,
  keyboard: { firstFocus, openedWithEnter: opened },
};
console.log(JSON.stringify(report, null, 2));
process.exit(report.violations.length || requests.length ? 1 : 0);
