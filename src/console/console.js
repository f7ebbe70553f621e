// The console's one script. The pages work without it (forms and links); with it, a page that
// follows the folder makes its tables and counts again when a file is saved, a job's page
// follows the job, and a file can be dropped onto the import form.
"use strict";

const status = document.getElementById("live-status");

// Makes the page's #live part again from the same address, keeping the forms (and whatever
// the registrar is typing) as they are.
async function refresh() {
  const answer = await fetch(location.href, { credentials: "same-origin" });
  if (!answer.ok) return;
  const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
  const part = fresh.getElementById("live");
  const here = document.getElementById("live");
  if (part && here) here.replaceWith(part);
  if (status) status.textContent = "Updated from the folder at " + new Date().toLocaleTimeString() + ".";
}

if (document.body.dataset.live === "folder") {
  new EventSource("/events").addEventListener("folder", () => refresh());
}

if (document.body.dataset.live === "job") {
  const id = document.body.dataset.job;
  const events = new EventSource("/jobs/" + id + "/events");
  events.addEventListener("progress", (event) => {
    const p = JSON.parse(event.data);
    if (p.finished) {
      events.close();
      location.reload();
      return;
    }
    const bar = document.querySelector("#job-progress progress");
    if (bar && p.total !== null) {
      bar.max = p.total;
      bar.value = p.seen;
      bar.textContent = p.seen + " of " + p.total;
    }
    const c = p.counts;
    document.getElementById("job-counts").textContent =
      p.seen + " records read: " + c.built + " built, " + c.unchanged + " up to date, " + c.invalid +
      " with errors, " + c.failed + " failed, " + c.skipped + " with nothing to make, " + c.withheld +
      " revoked and not issued again.";
  });
}

const drop = document.getElementById("drop");
if (drop) {
  const input = drop.querySelector("input[type=file]");
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files.length > 0) {
      input.files = event.dataTransfer.files;
      drop.requestSubmit();
    }
  });
}
