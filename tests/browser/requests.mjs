// The registrar's queue in the console, in headless Chromium:
//
//   node requests.mjs ADDRESS WORK_DIR
//
// ADDRESS is the first line `mastery serve` printed (started with the school's keys). The
// school's queue must hold requests in state received (a senior season's CSV). The flow takes
// a request at the counter for HV-2026-003 (a download for "Oberlin College Admissions"), holds
// it for the fee, releases it, approves it; approves every received request of the queue at
// once and sends every approved one; downloads the Oberlin transcript (which records it
// delivered); and finds the send in the student's page. Every page is checked with axe-core
// and the keyboard (session.mjs). WORK_DIR receives the screenshots and the downloaded PDF.
import { join } from "node:path";
import { openSession } from "./session.mjs";

const [address, work] = process.argv.slice(2);
const { page, origin, check, step, fail, text, finish } = await openSession(address, work);
const registrar = "Ana Registrar";

await page.goto(address);
await page.goto(origin + "/requests");
const before = await text("#queue-count");
step("the queue shows the requests received", /^\d+ of \d+ requests shown/.test(before), before);
await check("requests-queue");

// At the counter.
await page.getByRole("link", { name: "Take a request at the counter" }).click();
await page.waitForURL(/\/requests\/new$/);
await check("requests-new");
await page.fill("input[name=student]", "HV-2026-003");
await page.selectOption("select[name=party]", "college");
await page.fill("input[name=party_name]", "Oberlin College");
await page.fill("input[name=to]", "Oberlin College Admissions");
await page.selectOption("select[name=via]", "download");
await page.fill("input[name=due]", "2026-12-20");
await page.selectOption("select[name=basis]", "enrollment");
await page.fill("input[name=purpose]", "application for admission");
await page.locator("form.stack input[name=by]").fill(registrar);
await page.getByRole("button", { name: "Take the request" }).click();
await page.waitForURL(/\/requests\/R-\d{6}$/);
const id = page.url().split("/").pop();
step("the request is received", (await text("#request-state")).includes("received"), id);
await check("request");

// A hold for the fee, released once it is paid.
async function act(button, fill) {
  const form = page.locator("form", { has: page.getByRole("button", { name: button, exact: true }) });
  if (fill) await fill(form);
  await form.locator("input[name=by]").fill(registrar);
  await form.getByRole("button", { name: button, exact: true }).click();
  await page.waitForLoadState("load");
}
await act("Put on hold", async (form) => {
  await form.locator("select[name=reason]").selectOption("fee");
  await form.locator("input[name=note]").fill("transcript fee unpaid");
});
step("the hold names its reason", (await text("main")).includes("unpaid fee: transcript fee unpaid"), await text("#request-state"));
await check("request-held");
await act("Release the hold");
step("the release returns it to received", (await text("#request-state")).includes("received"));
await act("Approve");
step("it is approved", (await text("#request-state")).includes("approved"));

// Senior season: the received requests chosen and approved at once, then every approved one
// sent with one button.
await page.goto(origin + "/requests?state=received");
for (const box of await page.locator("input[name=id]").all()) await box.check();
await page.locator("fieldset input[name=by]").fill(registrar);
await page.getByRole("button", { name: "Approve the chosen" }).click();
await page.waitForURL(/\/requests\/bulk$/);
const approved = await text("#bulk-result");
step("the chosen requests are approved", /^\d+ requests? approved/.test(approved), approved);
await check("requests-approved");
await page.goto(origin + "/requests?state=approved");
await check("requests-to-send");
await page.locator("fieldset input[name=by]").fill(registrar);
await page.getByRole("button", { name: /^Send every approved request \(\d+\)$/ }).click();
await page.waitForURL(/\/requests\/bulk$/, { timeout: 180000 });
const sent = await text("#bulk-result");
step("every approved request is sent", /^\d+ requests? sent, 0 put on hold, 0 not sent/.test(sent), sent);
await check("requests-sent");

// The download hands the transcript over and records it delivered.
await page.goto(origin + "/requests/" + id);
step("the counter's request was sent", (await text("#request-state")).includes("sent"));
const form = page.locator("form", { has: page.getByRole("button", { name: /^Download the transcript/ }) });
await form.locator("input[name=by]").fill(registrar);
const [download] = await Promise.all([page.waitForEvent("download"), form.getByRole("button").click()]);
await download.saveAs(join(work, "oberlin.pdf"));
step("the transcript downloaded", download.suggestedFilename().startsWith("HV-2026-003-v"), download.suggestedFilename());
await page.goto(origin + "/requests/" + id);
step("the download is recorded as delivery", (await text("#request-state")).includes("delivered"));
await check("request-delivered");

// The send, in the student's record.
await page.goto(origin + "/students/HV-2026-003");
step("the student's page shows the send", (await text("main")).includes("Oberlin College Admissions"));
await page.goto(origin + "/requests?state=all");
await check("requests-all");
if (!(await text("#queue-count")).includes("requests shown")) fail("the queue did not list every request");
await finish();
