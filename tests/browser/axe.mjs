// Loads an HTML transcript (a file) or a page of the console (an http address on this
// machine) in headless Chromium (Debian's /usr/bin/chromium), checks it with axe-core against
// WCAG 2.0, 2.1 and 2.2 A and AA, tries the keyboard, and takes screenshots.
//
//   [MASTERY_SESSION=ID] node axe.mjs TRANSCRIPT.html|http://127.0.0.1:PORT/PAGE SCREENSHOT.png
//
// Prints a JSON report on standard output; exits 1 if axe finds any violation or the page
// makes a network request (for an http page: a request to another address than its own).
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
const served = file.startsWith("http://");
// The console's policy allows no script at all, so axe's own is let in past it (bypassCSP);
// the page's own code runs under its policy as usual.
const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, bypassCSP: served });
const requests = [];
const address = served ? file : "file://" + file;
const own = served ? new URL(file).origin : "file:";
page.on("request", (request) => {
  const url = request.url();
  if (!url.startsWith(own) && !url.startsWith("data:")) requests.push(url);
});
// A console page is opened in a browser that holds the console's session cookie.
if (served && process.env.MASTERY_SESSION) {
  await page.context().addCookies([{ name: "mastery_session", value: process.env.MASTERY_SESSION, url: own }]);
}
await page.goto(address);
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
// (A page without sections, such as the console's, reports null.)
let opened = null;
if (await page.locator("details.area > summary").count()) {
  await page.locator("details.area > summary").first().focus();
  await page.keyboard.press("Enter");
  opened = await page.evaluate(() => document.querySelector("details.area").open);
}

await browser.close();
const report = {
  violations: results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) })),
  passes: results.passes.length,
  requests,
  keyboard: { firstFocus, openedWithEnter: opened },
};
console.log(JSON.stringify(report, null, 2));
process.exit(report.violations.length || requests.length ? 1 : 0);
