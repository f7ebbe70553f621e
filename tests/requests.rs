//! `mastery requests`: the registrar's queue from the command line, as a registrar and a
//! script use it: requests taken at the counter, from CSV and from PESC TranscriptRequests;
//! consent; holds; sends through issue and pack, each recorded once in the ledger with the
//! request; two processes at once; a send killed at every write boundary.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::common::*;

const KEY: &str = "fixtures/keys/example-school.key.json";
const PESC_SAMPLES: &str = "tests/data/requests/pesc-samples";

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(output: Output) -> Output {
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    output
}

fn refused(output: Output) -> String {
    assert_eq!(output.status.code(), Some(1), "{}{}", stdout(&output), stderr(&output));
    stderr(&output)
}

/// A copy of the example school, with folders for issued transcripts and packs.
struct Office {
    school: tempfile::TempDir,
    out: tempfile::TempDir,
}

impl Office {
    fn new() -> Office {
        let school = tempfile::tempdir().unwrap();
        copy_dir(&root().join("fixtures/example-school"), school.path());
        Office { school, out: tempfile::tempdir().unwrap() }
    }

    fn school(&self) -> &str {
        path(self.school.path())
    }

    fn requests(&self, sub: &str, args: &[&str]) -> Output {
        run(&[&["requests", sub, self.school()][..], args, &["--by", "Registrar"]].concat())
    }

    fn add(&self, student: &str, to: &str, via: &str, basis: &str, extra: &[&str]) -> Value {
        let args = [
            "--student",
            student,
            "--party",
            "college",
            "--party-name",
            to,
            "--to",
            to,
            "--via",
            via,
            "--basis",
            basis,
            "--purpose",
            "application for admission",
            "--json",
        ];
        let output = ok(self.requests("add", &[&args[..], extra].concat()));
        serde_json::from_str::<Value>(&stdout(&output)).unwrap()[0].clone()
    }

    fn send_args(&self) -> Vec<String> {
        let issued = self.out.path().join("issued");
        let packs = self.out.path().join("packs");
        ["--issued", path(&issued), "--packs", path(&packs), "--key", KEY, "--pdf-key", PDF_KEY, "--jobs", "1"]
            .map(str::to_string)
            .to_vec()
    }

    fn send(&self, ids: &[&str]) -> Output {
        let args = self.send_args();
        let args: Vec<&str> = ids.iter().copied().chain(args.iter().map(String::as_str)).collect();
        self.requests("send", &[&args[..], &["--json"]].concat())
    }

    fn show(&self, id: &str) -> Value {
        let output = ok(run(&["requests", "show", self.school(), id, "--json"]));
        serde_json::from_str(&stdout(&output)).unwrap()
    }

    fn ledger(&self) -> Vec<Value> {
        let output = ok(run(&["log", self.school(), "--json"]));
        stdout(&output).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
    }

    /// The ledger entries that answer a request.
    fn answering(&self, id: &str) -> Vec<Value> {
        self.ledger().into_iter().filter(|e| e["request"] == id).collect()
    }
}

#[test]
fn a_request_goes_from_the_counter_to_delivered_and_the_ledger_says_why() {
    let office = Office::new();
    let request = office.add("HV-2026-001", "Reed College", "commonapp", "enrollment", &["--due", "2026-12-15"]);
    assert_eq!(request["id"], "R-000001");
    assert_eq!(request["state"], "received");
    assert_eq!(request["profile"], "college", "a portal's own profile");
    ok(office.requests("approve", &["R-000001"]));
    let sent: Value = serde_json::from_str(&stdout(&ok(office.send(&["R-000001"])))).unwrap();
    assert_eq!(sent["sent"].as_array().unwrap().len(), 1, "{sent}");

    // One disclosure to the recipient, through the pack, with the request, party and interest.
    let entries = office.answering("R-000001");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(entry["action"], "disclose");
    assert_eq!(entry["student"], "HV-2026-001");
    assert_eq!(entry["recipient"], "Reed College");
    assert_eq!(entry["via"], "Common App");
    assert_eq!(entry["party"], "college: Reed College");
    assert!(entry["interest"].as_str().unwrap().contains("34 CFR 99.31(a)(2)"), "{entry}");
    assert_eq!(entry["by"], "Registrar");
    let pack = office.out.path().join("packs/commonapp-R-000001");
    assert!(pack.join("pack-report.txt").is_file());

    ok(office.requests("deliver", &["R-000001", "--note", "Common App shows it received"]));
    let shown = office.show("R-000001");
    assert_eq!(shown["request"]["state"], "delivered");
    assert_eq!(shown["request"]["ledger_entry"], entry["seq"]);
    let steps: Vec<&str> = shown["history"].as_array().unwrap().iter().map(|e| e["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["receive", "approve", "send", "sent", "deliver"]);
    assert!(shown["history"].as_array().unwrap().iter().all(|e| e["by"] == "Registrar"));

    // `mastery log --student` answers what was asked and what was sent.
    let log = stdout(&ok(run(&["log", office.school(), "--student", "HV-2026-001"])));
    assert!(log.contains("for request R-000001 from college: Reed College"), "{log}");
    assert!(log.contains("R-000001  delivered from college: Reed College, to Reed College via commonapp"), "{log}");

    // Delivered is the end: nothing more happens to it.
    let again = refused(office.requests("cancel", &["R-000001"]));
    assert!(again.contains("R-000001: it is delivered, so it cannot be cancelled"), "{again}");
    assert!(again.contains("take a new request"), "{again}");
}

#[test]
fn a_disclosure_on_consent_waits_for_it_and_the_ledger_records_it() {
    let office = Office::new();
    let args = ["--student", "HV-2026-002", "--party", "parent", "--party-name", "Dana Reyes", "--to", "Acme Corp"];
    let more = ["--via", "print", "--basis", "consent", "--purpose", "employment check", "--json"];
    let output = ok(office.requests("add", &[&args[..], &more].concat()));
    let request: Value = serde_json::from_str::<Value>(&stdout(&output)).unwrap()[0].clone();
    assert_eq!(request["state"], "on-hold");
    assert_eq!(request["hold"]["reason"], "consent");

    let error = refused(office.requests("approve", &["R-000001"]));
    assert!(error.contains("rests on the written consent of 34 CFR 99.30 and none is recorded"), "{error}");
    assert!(not_sent(office.send(&["R-000001"])).contains("no consent is recorded for it"));
    assert!(office.answering("R-000001").is_empty(), "nothing sent without consent");

    // The signed form is kept with its SHA-256; recording it releases the hold.
    let form = office.out.path().join("consent.pdf");
    std::fs::write(&form, b"%PDF-1.7 a scanned, signed consent form").unwrap();
    let consent = ["--consent-signed-by", "Dana Reyes", "--consent-signer", "parent"];
    let signed = ["--consent-signed-on", "2026-12-01", "--consent-form", path(&form)];
    ok(office.requests("consent", &[&["R-000001"][..], &consent, &signed].concat()));
    let shown = office.show("R-000001");
    let kept = &shown["request"]["consent"];
    assert_eq!(kept["form"], "signed-form");
    assert_eq!(kept["sha256"], sha256_hex(&std::fs::read(&form).unwrap()));
    assert_eq!(kept["recipient"], "Acme Corp", "a consent names the party it allows");
    assert_eq!(shown["request"]["state"], "received", "released to where the hold found it");
    let second = refused(office.requests("consent", &[&["R-000001"][..], &consent, &signed].concat()));
    assert!(second.contains("a consent is kept as it was signed"), "{second}");

    ok(office.requests("approve", &["R-000001"]));
    ok(office.send(&["R-000001"]));
    let entries = office.answering("R-000001");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["action"], "issue", "a print sends the version issued for it");
    assert_eq!(entries[0]["recipient"], "Acme Corp");
    let interest = entries[0]["interest"].as_str().unwrap();
    assert!(interest.contains("consent signed by Dana Reyes (parent) on 2026-12-01 (34 CFR 99.30)"), "{interest}");
}

/// Why a send (with --json) did not send its one request.
fn not_sent(output: Output) -> String {
    assert_eq!(output.status.code(), Some(1), "{}{}", stdout(&output), stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(report["sent"].as_array().unwrap().is_empty(), "{report}");
    report["not_sent"][0]["why"].as_str().unwrap().to_string()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn steps_a_state_does_not_allow_are_refused_and_change_nothing() {
    let office = Office::new();
    office.add("HV-2026-003", "Oberlin College", "download", "enrollment", &[]);
    // (what, its arguments, the refusal) from `received`.
    let refusals: [(&str, &[&str], &str); 3] = [
        ("release", &[], "it is received, so it cannot be released"),
        ("deliver", &[], "it is received, so it cannot be marked delivered"),
        ("hold", &["--reason", "other"], "a hold for another reason needs the reason in its note"),
    ];
    for (step, args, message) in refusals {
        let error = refused(office.requests(step, &[&["R-000001"][..], args].concat()));
        assert!(error.contains(message), "{step}: {error}");
    }
    let error = not_sent(office.send(&["R-000001"]));
    assert!(error.contains("it is received, so it cannot be sent") && error.contains("approve it first"), "{error}");
    let shown = office.show("R-000001");
    assert_eq!(shown["request"]["state"], "received");
    assert_eq!(shown["history"].as_array().unwrap().len(), 1, "only its receipt: {shown}");

    ok(office.requests("hold", &["R-000001", "--reason", "fee", "--note", "$5 transcript fee"]));
    let error = refused(office.requests("approve", &["R-000001"]));
    assert!(error.contains("it is on hold, so it cannot be approved") && error.contains("release it first"), "{error}");
    ok(office.requests("release", &["R-000001"]));
    ok(office.requests("reject", &["R-000001", "--reason", "the student withdrew the application"]));
    let error = refused(office.requests("approve", &["R-000001"]));
    assert!(error.contains("it is rejected, so it cannot be approved"), "{error}");
    let steps: Vec<String> = office.show("R-000001")["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(steps, ["receive", "hold", "release", "reject"]);

    let unknown = refused(office.requests("approve", &["R-000099"]));
    assert!(unknown.contains("there is no request R-000099"), "{unknown}");
    let stranger = refused(office.requests(
        "add",
        &[
            "--student",
            "HV-9999-999",
            "--party",
            "student",
            "--party-name",
            "X",
            "--to",
            "Y",
            "--via",
            "print",
            "--basis",
            "own-record",
            "--purpose",
            "p",
        ],
    ));
    assert!(stranger.contains("HV-9999-999 is not a student of the school"), "{stranger}");
}

#[test]
fn a_send_through_issue_and_pack_records_one_entry_per_request_and_holds_what_it_cannot_send() {
    let office = Office::new();
    office.add("HV-2026-001", "Reed College", "commonapp", "enrollment", &[]);
    office.add("HV-2026-002", "Reed College", "commonapp", "enrollment", &[]);
    office.add("HV-2026-003", "Oberlin College", "download", "enrollment", &[]);
    office.add("HV-2026-001", "Oberlin College", "download", "enrollment", &[]);
    // HV-2026-007 has nothing to issue: its request waits with that reason.
    office.add("HV-2026-007", "Reed College", "commonapp", "enrollment", &[]);
    ok(office.requests("approve", &["R-000001", "R-000002", "R-000003", "R-000004", "R-000005"]));
    let output = office.send(&[]);
    assert_eq!(output.status.code(), Some(2), "ids or --approved: {}", stderr(&output));
    let args = office.send_args();
    let args: Vec<&str> = ["--approved", "--json"].into_iter().chain(args.iter().map(String::as_str)).collect();
    let output = office.requests("send", &args);
    assert_eq!(output.status.code(), Some(1), "one request held: {}{}", stdout(&output), stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["sent"].as_array().unwrap().len(), 4, "{report}");
    assert_eq!(report["held"][0]["request"], "R-000005", "{report}");
    let held = office.show("R-000005")["request"].clone();
    assert_eq!(held["state"], "on-hold");
    assert_eq!(held["hold"]["reason"], "record");

    for id in ["R-000001", "R-000002", "R-000003", "R-000004"] {
        let entries = office.answering(id);
        assert_eq!(entries.len(), 1, "{id}: {entries:?}");
    }
    // A download is the version issued to the recipient (or the current one disclosed).
    let oberlin: Vec<Value> = office.ledger().into_iter().filter(|e| e["recipient"] == "Oberlin College").collect();
    assert_eq!(oberlin.len(), 2);
    // Per student and recipient, exactly one entry.
    let reed: Vec<Value> = office.ledger().into_iter().filter(|e| e["recipient"] == "Reed College").collect();
    assert_eq!(reed.len(), 2, "{reed:?}");
    assert!(office.answering("R-000005").is_empty());

    // Sending again sends nothing twice.
    let before = office.ledger().len();
    let again = office.send(&["R-000001", "R-000003"]);
    assert_eq!(again.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert!(report["sent"].as_array().unwrap().is_empty(), "{report}");
    assert!(report["not_sent"][0]["why"].as_str().unwrap().contains("it is sent, so it cannot be sent"), "{report}");
    assert_eq!(office.ledger().len(), before);
}

#[test]
fn csv_requests_are_taken_whole_or_not_at_all_with_every_problem_located() {
    let office = Office::new();
    let file = office.out.path().join("requests.csv");
    let header = "reference,student,party,party_name,recipient,delivery,basis,purpose,due,consent_signed_by,consent_signer,consent_signed_on,consent_text\n";
    let bad = [
        "W-1,HV-2026-001,college,Reed College,Reed College,commonapp,enrollment,admission,2026-12-15,,,,\n",
        "W-2,HV-2026-002,uncle,Bob,Acme,print,consent,job,2026-13-01,,,,\n",
        "W-3,HV-2099-001,student,Ann,Reed College,fax,enrollment,admission,,,,,\n",
        "W-1,HV-2026-003,parent,Dana Reyes,Acme,print,consent,job,,Dana Reyes,parent,2026-12-01,\n",
    ];
    std::fs::write(&file, format!("{header}{}", bad.concat())).unwrap();
    let error = refused(office.requests("import", &[path(&file)]));
    for expected in [
        "requests.csv:3 (column party): \"uncle\" is not who may ask",
        "requests.csv:3 (column due): \"2026-13-01\" is not a date",
        "requests.csv:4 (column student): \"HV-2099-001\" is not a student of the school",
        "requests.csv:4 (column delivery): \"fax\" is not a way to send a transcript",
        "requests.csv:5 (column reference): the request W-1 is in the file twice (line 2 too)",
        "requests.csv:5 (column consent_text): the consent is missing \"consent_text\"",
        "nothing imported: 6 problems",
    ] {
        assert!(error.contains(expected), "{expected}\n{error}");
    }
    assert_eq!(stdout(&ok(run(&["requests", "list", office.school(), "--json"]))).trim(), "[]");

    let good = [
        "W-1,HV-2026-001,college,Reed College,Reed College,commonapp,enrollment,admission,2026-12-15,,,,\n",
        "W-2,HV-2026-003,parent,Dana Reyes,Acme,print,consent,job,,Dana Reyes,parent,2026-12-01,I allow Harbor View to send the transcript to Acme.\n",
        "W-3,HV-2026-002,alumnus,Alex P.,State Bar,download,consent,licensing,2026-12-10,,,,\n",
    ];
    std::fs::write(&file, format!("{header}{}", good.concat())).unwrap();
    let output = ok(office.requests("import", &[path(&file), "--json"]));
    let taken: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
    let states: Vec<&str> = taken.iter().map(|r| r["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["received", "received", "on-hold"], "the last waits for its consent");
    assert_eq!(taken[1]["consent"]["form"], "electronic");
    assert_eq!(taken[0]["source"], "requests.csv:2");

    let again = refused(office.requests("import", &[path(&file)]));
    assert!(again.contains("the request W-1 is in the queue already, as R-000001"), "{again}");
    let listed: Vec<Value> =
        serde_json::from_str(&stdout(&ok(run(&["requests", "list", office.school(), "--state", "on-hold", "--json"]))))
            .unwrap();
    assert_eq!(listed.len(), 1);
    let due: Vec<Value> =
        serde_json::from_str(&stdout(&ok(run(&["requests", "list", office.school(), "--json"])))).unwrap();
    let order: Vec<&str> = due.iter().map(|r| r["reference"].as_str().unwrap()).collect();
    assert_eq!(order, ["W-3", "W-1", "W-2"], "the soonest due first, undated last");
}

#[test]
fn pesc_transcript_requests_load_the_invalid_ones_are_refused_with_the_reason() {
    let office = Office::new();
    // The SDK's samples marked valid load (their students are not the school's: each waits
    // to be matched); the two it refuses are refused, with nothing taken.
    let valid = ["DomesticAddress_001.xml", "RequiredOnly_001.xml", "xmlTranscript_request.xml"];
    for name in valid {
        let output = ok(office.requests("import", &[&format!("{PESC_SAMPLES}/{name}"), "--json"]));
        let taken: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(taken.len(), 1, "{name}");
        assert_eq!(taken[0]["hold"]["reason"], "match", "{name}: {}", taken[0]);
        assert_eq!(taken[0]["delivery"], "pesc");
    }
    // Samples that repeat a tracking id already taken are refused as the same request.
    let repeat = refused(office.requests("import", &[&format!("{PESC_SAMPLES}/InternationalAddress_001.xml")]));
    assert!(repeat.contains("the request pesc:123456789 is in the queue already, as R-000001"), "{repeat}");
    for xmllint_ok in ["InternationalAddress_001.xml", "RequiredAndRecommended_001.xml", "basic_001.xml"] {
        let fresh = Office::new();
        ok(fresh.requests("import", &[&format!("{PESC_SAMPLES}/{xmllint_ok}")]));
    }
    let invalid = refused(office.requests("import", &[&format!("{PESC_SAMPLES}/invalid_transcript_request.xml")]));
    assert!(invalid.contains("invalid_transcript_request.xml:63: the requested student has no Name"), "{invalid}");
    let schema = tool("xmllint")
        .args(["--noout", "--schema", "tests/data/pesc/TranscriptRequest_v1.4.0.xsd"])
        .arg(format!("{PESC_SAMPLES}/invalid_transcript_request.xml"))
        .output()
        .unwrap();
    assert!(!schema.status.success(), "the schema refuses it too");
    let missing = refused(office.requests("import", &[&format!("{PESC_SAMPLES}/missing_documentinfo_element.xml")]));
    assert!(missing.contains(":51: the DocumentInfo names no document"), "{missing}");
    let not_pesc = refused(office.requests("import", &["tests/data/pesc/TranscriptResponse_v1.4.0.xsd"]));
    assert!(not_pesc.contains("this is a schema, not a PESC TranscriptRequest 1.4.0"), "{not_pesc}");

    // An unmatched request is matched by hand, then proceeds.
    ok(office.requests("match", &["R-000001", "--student", "HV-2026-004"]));
    let matched = office.show("R-000001")["request"].clone();
    assert_eq!(matched["student"], "HV-2026-004");
    assert_eq!(matched["state"], "received", "LegitimateEducationalInterest: no consent needed");
    let again = refused(office.requests("match", &["R-000001", "--student", "HV-2026-005"]));
    assert!(again.contains("it is the request of HV-2026-004 already"), "{again}");
}

#[test]
fn a_pesc_request_is_answered_with_a_transcript_response_when_sent() {
    let office = Office::new();
    let output = ok(office.requests("import", &["tests/data/requests/transcript-request.xml", "--json"]));
    let taken: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
    let students: Vec<&str> = taken.iter().map(|r| r["student"].as_str().unwrap()).collect();
    assert_eq!(students, ["HV-2026-005", "HV-2026-012"], "by name and birth date, and by the school's id");
    assert_eq!(taken[0]["basis"], "enrollment");
    assert_eq!(taken[1]["basis"], "consent");
    assert!(taken[1]["consent"]["text"].as_str().unwrap().contains("ReleaseAuthorizedMethod Signature"));
    assert_eq!(taken[1]["source"], "transcript-request.xml:64");
    ok(office.requests("approve", &["R-000001", "R-000002"]));
    ok(office.send(&["R-000001", "R-000002"]));
    for (id, student, first) in [("R-000001", "HV-2026-005", "Björn"), ("R-000002", "HV-2026-012", "Zoë")] {
        let folder = office.out.path().join(format!("packs/pesc-{id}"));
        let response = folder.join("TranscriptResponse.xml");
        let check = tool("xmllint")
            .args(["--noout", "--schema", "tests/data/pesc/TranscriptResponse_v1.4.0.xsd"])
            .arg(&response)
            .output()
            .unwrap();
        assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
        let text = std::fs::read_to_string(&response).unwrap();
        assert!(text.contains("<ResponseStatus>TranscriptSent</ResponseStatus>"), "{text}");
        assert!(text.contains(&format!("<SchoolAssignedPersonID>{student}</SchoolAssignedPersonID>")), "{text}");
        assert!(text.contains(&format!("<FirstName>{first}</FirstName>")), "{id} answers its own student: {text}");
        assert!(text.contains(&format!("<RequestTrackingID>REED-731-{}</RequestTrackingID>", &id[7..])), "{text}");
        // The transcript beside it is the one issued.
        let entry = &office.answering(id)[0];
        let issued = office
            .ledger()
            .into_iter()
            .find(|e| e["action"] == "issue" && e["credential_id"] == entry["credential_id"])
            .unwrap();
        let (file, _) = issued["files"].as_object().unwrap().iter().find(|(f, _)| f.ends_with(".pesc.xml")).unwrap();
        let beside = std::fs::read(folder.join("transcript.pesc.xml")).unwrap();
        assert_eq!(beside, std::fs::read(office.out.path().join("issued").join(file)).unwrap());
    }
}

#[test]
fn two_processes_approving_and_sending_the_same_requests_send_each_once() {
    let office = Office::new();
    let students = ["HV-2026-001", "HV-2026-002", "HV-2026-003", "HV-2026-004", "HV-2026-005", "HV-2026-006"];
    for (n, student) in students.iter().enumerate() {
        let via = if n % 2 == 0 { "scoir" } else { "download" };
        office.add(student, "Reed College", via, "enrollment", &[]);
    }
    let ids: Vec<String> = (1..=students.len()).map(|n| format!("R-{n:06}")).collect();
    let send_args = office.send_args();
    let script = |who: &str| {
        let mut approve = mastery();
        approve.args(["requests", "approve", office.school(), "--by", who]).args(&ids);
        let mut send = mastery();
        send.args(["requests", "send", office.school(), "--by", who, "--json"]).args(&ids).args(&send_args);
        for command in [&mut approve, &mut send] {
            command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        }
        (approve, send)
    };
    let (mut approve_a, mut send_a) = script("Clerk A");
    let (mut approve_b, mut send_b) = script("Clerk B");
    let (a, b) = (approve_a.spawn().unwrap(), approve_b.spawn().unwrap());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    // Each request approved once: the other process is told it is approved already.
    let approvals = stdout(&a).lines().count() + stdout(&b).lines().count();
    assert_eq!(approvals, ids.len(), "{}{}{}{}", stdout(&a), stderr(&a), stdout(&b), stderr(&b));
    let (a, b) = (send_a.spawn().unwrap(), send_b.spawn().unwrap());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let sent = |o: &Output| -> usize {
        let report: Value = serde_json::from_str(&stdout(o)).unwrap_or_else(|_| panic!("{}{}", stdout(o), stderr(o)));
        report["sent"].as_array().unwrap().len()
    };
    assert_eq!(sent(&a) + sent(&b), ids.len(), "{}{}", stdout(&a), stdout(&b));
    for id in &ids {
        assert_eq!(office.answering(id).len(), 1, "{id} sent once");
        assert_eq!(office.show(id)["request"]["state"], "sent");
    }
    let log = stdout(&ok(run(&["log", office.school(), "--verify"])));
    assert!(!log.is_empty());
}

#[test]
fn a_send_killed_at_any_write_boundary_is_settled_by_the_next_without_sending_twice() {
    let template = Office::new();
    template.add("HV-2026-001", "Reed College", "commonapp", "enrollment", &[]);
    template.add("HV-2026-003", "Oberlin College", "download", "enrollment", &[]);
    ok(template.requests("approve", &["R-000001", "R-000002"]));
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut at = 1;
    loop {
        let office = Office::new();
        copy_dir(template.school.path(), office.school.path());
        let send_args = office.send_args();
        let output = mastery()
            .args(["requests", "send", office.school(), "--approved", "--by", "Registrar"])
            .args(&send_args)
            .env("MASTERY_TEST_CRASH_AT", at.to_string())
            .env("MASTERY_TEST_CRASH_LOG", log.path())
            .output()
            .unwrap();
        let crashed = output.status.code().is_none();
        // The next send settles what the killed one left: sent once, or sent now.
        let next = office.requests(
            "send",
            &[&["--approved", "--json"][..], &send_args.iter().map(String::as_str).collect::<Vec<_>>()].concat(),
        );
        assert!(matches!(next.status.code(), Some(0 | 1)), "after crash {at}: {}{}", stdout(&next), stderr(&next));
        for id in ["R-000001", "R-000002"] {
            assert_eq!(office.answering(id).len(), 1, "crash point {at}: {id} sent exactly once");
            assert_eq!(office.show(id)["request"]["state"], "sent", "crash point {at}: {id}");
        }
        ok(run(&["log", office.school(), "--verify"]));
        if !crashed {
            assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
            break;
        }
        at += 1;
        assert!(at < 400, "a send has a bounded number of write boundaries");
    }
    assert!(at > 5, "the send was crashed at its boundaries ({at})");
}

#[test]
fn a_send_killed_with_sigkill_is_completed_or_undone_by_the_next() {
    let office = Office::new();
    let students = ["HV-2026-001", "HV-2026-002", "HV-2026-003", "HV-2026-004", "HV-2026-005", "HV-2026-006"];
    for (n, student) in students.iter().enumerate() {
        let (to, via) = if n % 2 == 0 { ("Reed College", "commonapp") } else { ("Oberlin College", "download") };
        office.add(student, to, via, "enrollment", &[]);
    }
    let ids: Vec<String> = (1..=students.len()).map(|n| format!("R-{n:06}")).collect();
    ok(run(
        &[&["requests", "approve", office.school()][..], &ids.iter().map(String::as_str).collect::<Vec<_>>()].concat()
    ));
    let send_args = office.send_args();
    let mut child = mastery()
        .args(["requests", "send", office.school(), "--approved", "--by", "Registrar"])
        .args(&send_args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once the ledger has begun to record the send (or when it has finished).
    let ledger = office.school.path().join("ledger.jsonl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::metadata(&ledger).map_or(true, |m| m.len() == 0) && std::time::Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let finished = child.try_wait().unwrap().is_some();
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
    if !finished {
        let listed = stdout(&ok(run(&["requests", "list", office.school(), "--state", "sending", "--json"])));
        let sending: Vec<Value> = serde_json::from_str(&listed).unwrap();
        assert!(!sending.is_empty(), "killed mid-send, it left its requests sending");
    }
    let next = office.requests(
        "send",
        &[&["--approved", "--json"][..], &send_args.iter().map(String::as_str).collect::<Vec<_>>()].concat(),
    );
    assert_eq!(next.status.code(), Some(0), "{}{}", stdout(&next), stderr(&next));
    for id in &ids {
        assert_eq!(office.answering(id).len(), 1, "{id} sent exactly once");
        assert_eq!(office.show(id)["request"]["state"], "sent", "{id}");
    }
    ok(run(&["log", office.school(), "--verify"]));
}
