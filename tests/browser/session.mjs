// What every browser flow of the console shares: headless Chromium (Debian's /usr/bin/chromium)
// under the console's own Content-Security-Policy, a second context that shares the session to
// run axe-core (WCAG 2.0 to 2.2, A and AA) on each page checked, and the keyboard: Tab from the
// top of the page must reach every link, button and field. A flow calls `check(name)` on each
// page (a screenshot NAME.png goes to WORK_DIR) and `step(name, ok, detail)` for what it
// asserts; `finish()` fails on any page with a violation, an unreached control, a request to
// another address or a script error, and prints the JSON report.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

export async function openSession(address, work) {
  const require = createRequire(import.meta.url);
  const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  const origin = new URL(address).origin;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  // The registrar's browser keeps the page's policy; axe is let in past it in a second one.
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  const checker = await browser.newContext({ viewport: { width: 1200, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const report = { steps: [], pages: {}, requests: [], errors: [] };
  page.on("request", (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) report.requests.push(r.url()); });
  page.on("pageerror", (e) => report.errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") report.errors.push(m.text()); });

  function fail(message) {
    report.failed = message;
    console.log(JSON.stringify(report, null, 2));
    process.exit(1);
  }

  function step(name, ok, detail) {
    report.steps.push({ name, ok, ...(detail === undefined ? {} : { detail }) });
    if (!ok) fail(name);
  }

  // axe in the second context (same cookie), and the keyboard in the registrar's.
  async function check(name) {
    await page.screenshot({ path: join(work, `${name}.png`) });
    await checker.addCookies(await context.cookies());
    const probe = await checker.newPage();
    // The page as the registrar has it now (some come from a form's POST): its markup, at the
    // console's address so that its stylesheet and frames load.
    await probe.goto(origin + "/style.css");
    await probe.setContent(await page.content(), { waitUntil: "load" });
    await probe.addScriptTag({ content: axeSource });
    const results = await probe.evaluate(async () =>
      await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }));
    await probe.close();
    const violations = results.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) }));
    // Tab from the top until focus comes round again; every visible control must be reached.
    const unreached = await page.evaluate(async () => {
      const controls = [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, iframe")]
        .filter((e) => e.getClientRects().length > 0 || e.classList.contains("skip"));
      controls.forEach((e, i) => e.setAttribute("data-control", String(i)));
      return controls.map((e) => e.getAttribute("data-control"));
    });
    await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
    const reached = new Set();
    // A date field takes a stop of the Tab key for each of its parts: up to three per control.
    for (let i = 0; i < unreached.length * 3 + 5 && reached.size < unreached.length; i++) {
      await page.keyboard.press("Tab");
      const at = await page.evaluate(() => document.activeElement?.getAttribute("data-control"));
      if (at) reached.add(at);
    }
    // A group of radio buttons is one stop of the Tab key (the arrow keys move within it).
    const missing = await page.evaluate((seen) => {
      const reachedNow = (e) => seen.includes(e.getAttribute("data-control"));
      const group = (e) => e.type === "radio" ? [...document.querySelectorAll(`input[type=radio][name="${e.name}"]`)] : [e];
      return [...document.querySelectorAll("[data-control]")].filter((e) => !group(e).some(reachedNow))
        .map((e) => e.outerHTML.slice(0, 120));
    }, [...reached]);
    report.pages[name] = { url: page.url(), violations, keyboardMissed: missing };
  }

  const text = async (selector) => (await page.locator(selector).first().innerText()).replace(/\s+/g, " ");

  async function finish() {
    await browser.close();
    const bad = Object.entries(report.pages).filter(([, p]) => p.violations.length || p.keyboardMissed.length);
    step("every page passes axe and the keyboard reaches every control", bad.length === 0, bad.map(([n]) => n));
    step("no request left the console and no script failed", report.requests.length === 0 && report.errors.length === 0,
      { requests: report.requests, errors: report.errors });
    console.log(JSON.stringify(report, null, 2));
  }

  return { page, origin, report, check, step, fail, text, finish };
}
