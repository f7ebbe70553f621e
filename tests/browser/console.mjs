// A registrar's session in the console, in headless Chromium (Debian's /usr/bin/chromium),
// under the console's own Content-Security-Policy:
//
//   node console.mjs ADDRESS SCHOOL_DIR WORK_DIR
//
// ADDRESS is the first line `mastery serve` printed. The school must have one invalid record,
// students/hv-2026-001.json with `"nickname": 3` (the flow fixes it on disk and waits for the
// problem to leave the page without a reload). WORK_DIR receives the screenshots (one PNG per
// page, named as the README shows them), the downloaded outputs.zip, and upload.json is read
// from it for the import by drop.
//
// Along the way every page is checked with axe-core (WCAG 2.0 to 2.2, A and AA) in a second
// context that shares the session, and the keyboard: Tab from the top of the page reaches
// every link, button and field. Prints a JSON report; exits 1 at the first step that fails, or
// when any page has a violation, an element the keyboard cannot reach, or a request to another
// address.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [address, school, work] = process.argv.slice(2);
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
  for (let i = 0; i < unreached.length + 5; i++) {
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

// The overview, from the printed address (the token becomes the session cookie).
await page.goto(address);
step("the printed address opens the overview", (await text("h1")).length > 0 && !page.url().includes("token="));
await check("overview");

// A problem, fixed in the file while the page is open: it goes without a reload.
await page.goto(origin + "/problems?severity=error");
step("the problems page shows the invalid record", (await text("#live")).includes("nickname"));
await check("problems");
const record = join(school, "students/hv-2026-001.json");
await page.evaluate(() => { window.notReloaded = true; });
const fixedAt = Date.now();
writeFileSync(record, readFileSync(record, "utf8").replace(', "nickname": 3', ""));
await page.waitForFunction(() => !document.getElementById("live").textContent.includes("nickname"), null, { timeout: 10000 })
  .catch(() => fail("the fixed problem did not leave the page"));
report.liveUpdateMs = Date.now() - fixedAt;
step("the fix showed without a reload", await page.evaluate(() => window.notReloaded === true), report.liveUpdateMs);

// A student: the preview in its frame, the PDF from its link.
await page.goto(origin + "/students");
await check("students");
await page.locator("a", { hasText: "HV-2026-002" }).first().focus();
await page.keyboard.press("Enter");
await page.waitForURL(/\/students\/HV-2026-002$/);
const frame = page.frameLocator("iframe.preview");
await frame.locator("h1, header").first().waitFor({ timeout: 30000 }).catch(() => fail("the HTML preview did not load"));
const studentName = await text("h1");
step("the preview shows the student", (await frame.locator("body").innerText()).includes(studentName), studentName);
const pdf = await page.request.get(origin + "/students/HV-2026-002/preview.pdf");
step("the PDF preview is a PDF", pdf.ok() && pdf.headers()["content-type"] === "application/pdf" &&
  (await pdf.body()).subarray(0, 5).toString() === "%PDF-");
await check("student");

// A build, followed live, and its outputs downloaded as one ZIP.
await page.goto(origin + "/build");
await check("build");
await page.selectOption("select[name=format]", "pdf");
await page.getByRole("button", { name: "Build" }).click();
await page.waitForURL(/\/jobs\/\d+$/);
await page.waitForFunction(() => document.getElementById("job-state")?.textContent === "finished", null, { timeout: 120000 })
  .catch(() => fail("the build did not finish"));
await check("job");
const [download] = await Promise.all([page.waitForEvent("download"), page.getByText("Download the outputs (ZIP)").click()]);
await download.saveAs(join(work, "outputs.zip"));
step("the outputs downloaded", true, download.suggestedFilename());

// An issue to one student, through its confirmation, under the registrar's name.
await page.goto(origin + "/issue");
await check("issue");
await page.check("input[name=scope][value=some]");
await page.fill("input[name=students]", "HV-2026-002");
await page.fill("input[name=to]", "State University");
await page.getByRole("button", { name: "Continue" }).click();
await page.waitForURL(/\/issue\/confirm/);
const confirmation = await text("main");
step("the confirmation says what goes to whom", confirmation.includes(studentName) && confirmation.includes("State University"), confirmation.slice(0, 300));
await check("issue-confirm");
await page.fill("input[name=by]", "Ana Registrar");
await page.getByRole("button", { name: /^Issue/ }).click();
await page.waitForURL(/\/jobs\/\d+$/);
await page.waitForFunction(() => document.getElementById("job-state")?.textContent === "finished", null, { timeout: 120000 })
  .catch(() => fail("the issue did not finish"));
step("the issue finished", (await text("#job-counts")).includes("1 built"), await text("#job-counts"));

// Its revocation, from the student's page.
await page.goto(origin + "/students/HV-2026-002");
await page.getByRole("link", { name: /Revoke version 1/ }).click();
await page.waitForURL(/\/revoke\?/);
await check("revoke");
await page.fill("input[name=reason]", "Sent to the wrong college");
await page.fill("input[name=by]", "Ana Registrar");
await page.getByRole("button", { name: /^Revoke/ }).click();
await page.waitForURL(/\/students\/HV-2026-002$/);
step("the revocation shows on the student's page", (await text("main")).includes("revoked (Sent to the wrong college)"));

// An import by drop onto the form.
await page.goto(origin + "/import");
await check("import");
const upload = readFileSync(join(work, "upload.json"), "utf8");
const dropped = await page.evaluateHandle((content) => {
  const data = new DataTransfer();
  data.items.add(new File([content], "hv-2026-099.json", { type: "application/json" }));
  return data;
}, upload);
// The form is sent by the drop; its answer is a new page (the URL stays /import).
await page.dispatchEvent("#drop", "drop", { dataTransfer: dropped });
await page.waitForFunction(() => document.querySelector("h1")?.textContent !== "Import", null, { timeout: 30000 })
  .catch(() => fail("the dropped file was not sent"));
step("the dropped file was checked and added", (await text("main")).includes("Written to students/hv-2026-099.json"), await text("main"));
await check("import-result");

await browser.close();
const bad = Object.entries(report.pages).filter(([, p]) => p.violations.length || p.keyboardMissed.length);
step("every page passes axe and the keyboard reaches every control", bad.length === 0, bad.map(([n]) => n));
step("no request left the console and no script failed", report.requests.length === 0 && report.errors.length === 0,
  { requests: report.requests, errors: report.errors });
console.log(JSON.stringify(report, null, 2));
