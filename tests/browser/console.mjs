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
import { join } from "node:path";
import { openSession } from "./session.mjs";

const [address, school, work] = process.argv.slice(2);
const { page, origin, report, check, step, fail, text, finish } = await openSession(address, work);

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

await finish();
