//! PAdES signatures on issued PDFs, checked by tools no one here wrote: poppler's `pdfsig` and
//! pyHanko find every issued PDF signed, valid and intact (in both disclosure profiles, and in
//! Arabic), a one-byte change anywhere makes both fail, and the signed file still passes the
//! PDF/UA, PDF/A and qpdf checks. A certificate that cannot sign is refused before anything is
//! written; `mastery keygen --x509` makes what OpenSSL reads as a key, a document-signing
//! certificate and a signing request.

use std::path::{Path, PathBuf};

use crate::common::*;

const KEY: &str = "fixtures/keys/example-school.key.json";
const CERTIFICATE: &str = "fixtures/example-school/keys/document-signing.pem";
/// The example school's students with credits earned: the ones an issue writes a PDF for.
const ISSUABLE: [&str; 10] = [
    "HV-2026-001",
    "HV-2026-002",
    "HV-2026-003",
    "HV-2026-004",
    "HV-2026-005",
    "HV-2026-006",
    "HV-2026-012",
    "HV-2027-008",
    "HV-2027-009",
    "HV-2027-010",
];

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Issues `students` of a copy of the example school with `extra` options; returns the copy,
/// the output folder and each student's PDF.
fn issued(students: &[&str], extra: &[&str]) -> (tempfile::TempDir, tempfile::TempDir, Vec<PathBuf>) {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let out = tempfile::tempdir().unwrap();
    let mut args = vec!["issue", path(school.path()), "--out", path(out.path()), "--key", KEY, "--pdf-key", PDF_KEY];
    for student in students {
        args.extend(["--student", student]);
    }
    args.extend_from_slice(extra);
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    let version = if extra.contains(&"college") { "college-v1" } else { "v1" };
    let pdfs = students.iter().map(|s| out.path().join(s).join(version).join("transcript.pdf")).collect();
    (school, out, pdfs)
}

/// What pdfsig says of a PDF.
fn pdfsig(pdf: &Path) -> String {
    let output = tool("pdfsig").arg(pdf).output().unwrap();
    format!("{}{}", stdout(&output), stderr(&output))
}

/// Whether pyHanko, trusting the example school's certificate, finds the PDF's signature
/// intact and trusted, with what it said.
fn pyhanko(pdf: &Path) -> (bool, String) {
    let output = tool("pyhanko")
        .args(["sign", "validate", "--trust-replace", "--trust"])
        .arg(root().join(CERTIFICATE))
        .arg(pdf)
        .output()
        .unwrap();
    (output.status.success(), format!("{}{}", stdout(&output), stderr(&output)))
}

/// Runs OpenSSL, failing the test with what it said when it fails.
fn openssl(args: &[&str]) {
    let output = tool("openssl").args(args).output().unwrap();
    assert!(output.status.success(), "openssl {args:?}: {}", stderr(&output));
}

fn verify(pdf: &Path, trust: bool) -> (Option<i32>, String) {
    let mut args = vec!["verify".to_string(), path(pdf).to_string()];
    if trust {
        args.extend(["--trust".to_string(), root().join(CERTIFICATE).to_string_lossy().into_owned()]);
    }
    let output = mastery().args(&args).output().unwrap();
    (output.status.code(), format!("{}{}", stdout(&output), stderr(&output)))
}

#[test]
fn every_issued_pdf_is_signed_valid_and_intact_for_pdfsig_and_pyhanko() {
    // Every student of the example school with something to issue, under the internal profile
    // in English and under the college profile in Arabic.
    let (_school, _out, mut pdfs) = issued(&ISSUABLE, &[]);
    let (_school_ar, _out_ar, arabic) = issued(&ISSUABLE, &["--profile", "college", "--locale", "ar"]);
    pdfs.extend(arabic);
    assert_eq!(pdfs.len(), 20);
    for pdf in &pdfs {
        let said = pdfsig(pdf);
        assert!(said.contains("Signature Validation: Signature is Valid."), "{}:\n{said}", pdf.display());
        assert!(said.contains("Total document signed"), "{said}");
        assert!(said.contains("Signature Type: ETSI.CAdES.detached"), "{said}");
        assert!(said.contains("Signer Certificate Common Name: Harbor View Academy"), "{said}");
        assert!(!said.contains("Syntax Error"), "pdfsig reads the file without complaint:\n{said}");
        let (valid, said) = pyhanko(pdf);
        assert!(valid && said.contains("INTACT:TRUSTED,UNTOUCHED"), "{}:\n{said}", pdf.display());

        // `mastery verify`: trusted with the school's certificate, said plainly without it.
        let (code, said) = verify(pdf, true);
        assert_eq!(code, Some(0), "{said}");
        assert!(
            said.contains("a certification signature (no changes permitted) by Harbor View Academy, intact"),
            "{said}"
        );
        assert!(said.contains("ok: the signer is trusted"), "{said}");
        assert!(said.contains("ok: the printed pages are the ones the credential binds"), "{said}");
        let (code, said) = verify(pdf, false);
        assert_eq!(code, Some(0), "{said}");
        assert!(said.contains("signed, signer not trusted: no trust anchor given"), "{said}");

        // The signature is an update after the PDF: its standards still hold.
        let output = tool("pdfua").arg("check").arg(pdf).output().unwrap();
        assert!(output.status.success(), "pdfua: {}{}", stdout(&output), stderr(&output));
        let lang = if pdf.to_string_lossy().contains("college-v1") { "ar" } else { "en" };
        let output = tool("python3")
            .arg(root().join("tests/tools/check_pdf.py"))
            .arg(pdf)
            .args(["--expect-lang", lang])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
        qpdf_check(pdf);
    }
}

#[test]
fn one_changed_byte_anywhere_fails_pdfsig_pyhanko_and_verify() {
    let (_school, _out, pdfs) = issued(&["HV-2026-003"], &[]);
    let original = std::fs::read(&pdfs[0]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A byte of the pages' part, of the attached data's part, and of the update's own objects.
    for at in [original.len() / 10, original.len() / 2, original.len() - 40] {
        let mut bytes = original.clone();
        bytes[at] = if bytes[at] == b'7' { b'8' } else { b'7' };
        let tampered = dir.path().join(format!("tampered-{at}.pdf"));
        std::fs::write(&tampered, &bytes).unwrap();
        let said = pdfsig(&tampered);
        assert!(!said.contains("Signature is Valid"), "byte {at}: pdfsig still finds it valid:\n{said}");
        let (valid, said) = pyhanko(&tampered);
        assert!(!valid, "byte {at}: pyHanko still finds it valid:\n{said}");
        let (code, said) = verify(&tampered, true);
        assert_eq!(code, Some(1), "byte {at}: {said}");
    }
    // Something added after the signature is a change too.
    let mut bytes = original.clone();
    bytes.extend_from_slice(b"\n% a line added later\n");
    let appended = dir.path().join("appended.pdf");
    std::fs::write(&appended, &bytes).unwrap();
    let (code, said) = verify(&appended, true);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("something was added or changed after it was signed"), "{said}");
}

#[test]
fn a_certificate_that_cannot_sign_is_refused_before_anything_is_written() {
    let keys = tempfile::tempdir().unwrap();
    let k = |name: &str| keys.path().join(name).to_string_lossy().into_owned();
    // Expired before the example school's issue date (2026-06-01).
    let made = run(&[
        "keygen",
        "--x509",
        "--out",
        &k("old.key"),
        "--subject",
        "CN=Harbor View Academy",
        "--self-signed",
        &k("old.pem"),
        "--valid-from",
        "2024-01-01",
        "--days",
        "365",
    ]);
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    // For a server, not for signing documents.
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &k("tls.key"),
        "-out",
        &k("tls.pem"),
        "-subj",
        "/CN=records.harborview.example.org",
        "-days",
        "9000",
        "-addext",
        "keyUsage=critical,digitalSignature",
        "-addext",
        "extendedKeyUsage=serverAuth",
    ]);
    // (The server's certificate is valid from today: its transcripts are dated a year on.)
    let next_year = (chrono::Utc::now().date_naive() + chrono::Days::new(365)).to_string();
    let cases = [
        (
            CERTIFICATE.to_string(),
            k("old.key"),
            "2026-06-01",
            "the certificate is for another key than the document-signing key given",
        ),
        (
            k("old.pem"),
            k("old.key"),
            "2026-06-01",
            "the certificate is valid from 2024-01-01 to 2024-12-31, not on the issue date 2026-06-01",
        ),
        (
            k("tls.pem"),
            k("tls.key"),
            next_year.as_str(),
            "the certificate is not for signing documents: its extended key usage names none of",
        ),
    ];
    for (certificate, key, date, expected) in cases {
        let school = tempfile::tempdir().unwrap();
        copy_dir(&root().join("fixtures/example-school"), school.path());
        std::fs::copy(&certificate, school.path().join("keys/document-signing.pem")).unwrap();
        let out = tempfile::tempdir().unwrap();
        let (school_dir, out_dir) = (path(school.path()), path(out.path()));
        let output =
            run(&["issue", school_dir, "--out", out_dir, "--key", KEY, "--pdf-key", &key, "--issue-date", date]);
        let said = format!("{}{}", stdout(&output), stderr(&output));
        assert_eq!(output.status.code(), Some(1), "{said}");
        assert!(said.contains(expected), "expected {expected:?} in:\n{said}");
        assert!(said.contains("/document_signing/certificate"), "placed at the setting: {said}");
        assert!(std::fs::read_dir(out.path()).unwrap().next().is_none(), "nothing written: {said}");
        assert!(!school.path().join("ledger.jsonl").exists(), "nothing recorded");
    }
    // Without the key, the issue says which option gives it.
    let out = tempfile::tempdir().unwrap();
    let output = run(&["issue", "fixtures/example-school", "--out", path(out.path()), "--key", KEY]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("give its key with --pdf-key"), "{}", stderr(&output));

    // Every issued PDF is signed: a school.json without a document-signing certificate is
    // refused, with how to make one, before anything is written.
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let config = school.path().join("school.json");
    let mut settings = read_json(&config);
    settings.as_object_mut().unwrap().remove("document_signing");
    write_json(&config, &settings);
    let out = tempfile::tempdir().unwrap();
    let output = run(&["issue", path(school.path()), "--out", path(out.path()), "--key", KEY, "--pdf-key", PDF_KEY]);
    let said = format!("{}{}", stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("school.json names no document-signing certificate"), "{said}");
    assert!(said.contains("mastery keygen --x509"), "{said}");
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none(), "nothing written: {said}");
    assert!(!school.path().join("ledger.jsonl").exists(), "nothing recorded");
}

#[test]
fn a_certificate_from_a_districts_rsa_ca_signs_and_leads_to_that_ca() {
    // The district's CA, RSA as most CAs are, signs the request `keygen --x509 --csr` wrote.
    let keys = tempfile::tempdir().unwrap();
    let k = |name: &str| keys.path().join(name).to_string_lossy().into_owned();
    let subject = "CN=Harbor View Academy,O=Harbor View Academy,C=US";
    let made = run(&["keygen", "--x509", "--out", &k("school.key"), "--subject", subject, "--csr", &k("school.csr")]);
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &k("ca.key"),
        "-out",
        &k("ca.pem"),
        "-subj",
        "/CN=Casco Bay School District CA",
        "-days",
        "9000",
        "-sha256",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    std::fs::write(
        k("school.ext"),
        "keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=1.3.6.1.5.5.7.3.36\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &k("school.csr"),
        "-CA",
        &k("ca.pem"),
        "-CAkey",
        &k("ca.key"),
        "-CAcreateserial",
        "-out",
        &k("school.pem"),
        "-days",
        "3000",
        "-sha256",
        "-extfile",
        &k("school.ext"),
    ]);
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let chain = [std::fs::read(k("school.pem")).unwrap(), std::fs::read(k("ca.pem")).unwrap()].concat();
    std::fs::write(school.path().join("keys/document-signing.pem"), chain).unwrap();
    let out = tempfile::tempdir().unwrap();
    // A certificate made today, after midday, is not valid on today's issue date: said so.
    let today = chrono::Utc::now().date_naive().to_string();
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let issue = |date: &str| {
        run(&[
            "issue",
            path(school.path()),
            "--out",
            path(out.path()),
            "--key",
            KEY,
            "--pdf-key",
            &k("school.key"),
            "--student",
            "HV-2026-001",
            "--issue-date",
            date,
        ])
    };
    if chrono::Utc::now().time() > chrono::NaiveTime::from_hms_opt(12, 0, 0).unwrap() {
        let output = issue(&today);
        assert!(stderr(&output).contains("(after midday of the issue day)"), "{}", stderr(&output));
    }
    let output = issue(&tomorrow);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    let pdf = out.path().join("HV-2026-001/v1/transcript.pdf");
    assert!(pdfsig(&pdf).contains("Signature is Valid"), "{}", pdfsig(&pdf));
    let said = pyhanko_trusting(&pdf, Path::new(&k("ca.pem")));
    assert!(said.contains("INTACT:TRUSTED,UNTOUCHED"), "{said}");
    // (Checked as of the issue date: the credential is valid from it.)
    let output = mastery().args(["verify", path(&pdf), "--at", &tomorrow, "--trust", &k("ca.pem")]).output().unwrap();
    let said = format!("{}{}", stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(0), "{said}");
    assert!(said.contains("ok: the signer is trusted") && said.contains("Casco Bay School District CA"), "{said}");
    // Another CA is no anchor for it.
    let output = mastery().args(["verify", path(&pdf), "--at", &tomorrow, "--trust", CERTIFICATE]).output().unwrap();
    let said = format!("{}{}", stdout(&output), stderr(&output));
    assert!(said.contains("signed, signer not trusted"), "{said}");
}

/// What pyHanko says of a PDF's signature, trusting `anchor`.
fn pyhanko_trusting(pdf: &Path, anchor: &Path) -> String {
    let output =
        tool("pyhanko").args(["sign", "validate", "--trust-replace", "--trust"]).arg(anchor).arg(pdf).output().unwrap();
    format!("{}{}", stdout(&output), stderr(&output))
}

#[test]
fn keygen_x509_writes_a_private_key_and_a_certificate_or_a_request_openssl_reads() {
    let dir = tempfile::tempdir().unwrap();
    let f = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let subject = "CN=Harbor View Academy,O=Harbor View Academy,C=US";
    let output = run(&["keygen", "--x509", "--out", &f("a.key"), "--subject", subject, "--self-signed", &f("a.pem")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("AATL"), "says what Acrobat shows: {}", stdout(&output));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(f("a.key")).unwrap().permissions().mode() & 0o777, 0o600, "the key is private");
    let text = tool("openssl").args(["x509", "-noout", "-text", "-in", &f("a.pem")]).output().unwrap();
    let text = stdout(&text);
    assert!(text.contains("Digital Signature, Non Repudiation"), "{text}");
    assert!(text.contains("1.3.6.1.5.5.7.3.36") || text.contains("Document Signing"), "{text}");
    assert!(text.contains("CA:FALSE") && text.contains("prime256v1"), "{text}");
    let matches = tool("openssl").args(["pkey", "-pubout", "-in", &f("a.key")]).output().unwrap();
    let certified = tool("openssl").args(["x509", "-noout", "-pubkey", "-in", &f("a.pem")]).output().unwrap();
    assert_eq!(stdout(&matches), stdout(&certified), "the certificate is the key's");

    let output = run(&["keygen", "--x509", "--out", &f("b.key"), "--subject", subject, "--csr", &f("b.csr")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let checked = tool("openssl").args(["req", "-in", &f("b.csr"), "-noout", "-verify", "-subject"]).output().unwrap();
    let said = format!("{}{}", stdout(&checked), stderr(&checked));
    assert!(checked.status.success() && said.contains("Harbor View Academy"), "{said}");

    // Never over a key that is there.
    let again = run(&["keygen", "--x509", "--out", &f("a.key"), "--subject", subject, "--self-signed", &f("c.pem")]);
    assert_ne!(again.status.code(), Some(0));
    assert!(stderr(&again).contains("exists already"), "{}", stderr(&again));
}

/// A timestamp authority on 127.0.0.1 (OpenSSL's RFC 3161 responder, `tests/tools/tsa.py`)
/// with its own root CA, for as long as it lives.
struct Tsa {
    child: std::process::Child,
    url: String,
    keys: tempfile::TempDir,
}

impl Tsa {
    fn start(refuse: bool) -> Tsa {
        let keys = tempfile::tempdir().unwrap();
        let k = |name: &str| keys.path().join(name).to_string_lossy().into_owned();
        let p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
        openssl(
            &[
                &["req", "-x509"][..],
                &p256,
                &[
                    "-keyout",
                    &k("ca.key"),
                    "-out",
                    &k("ca.pem"),
                    "-subj",
                    "/CN=Test Timestamp Root CA",
                    "-days",
                    "9000",
                ],
                &["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ]
            .concat(),
        );
        openssl(
            &[
                &["req", "-new"][..],
                &p256,
                &["-keyout", &k("tsa.key"), "-out", &k("tsa.csr")],
                &["-subj", "/CN=Harbor Test TSA"],
            ]
            .concat(),
        );
        std::fs::write(k("tsa.ext"), "extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n")
            .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            &k("tsa.csr"),
            "-CA",
            &k("ca.pem"),
            "-CAkey",
            &k("ca.key"),
            "-CAcreateserial",
            "-out",
            &k("tsa.pem"),
            "-days",
            "3000",
            "-sha256",
            "-extfile",
            &k("tsa.ext"),
        ]);
        std::fs::write(k("serial"), "01\n").unwrap();
        let config = format!(
            "[ tsa ]\ndefault_tsa = here\n[ here ]\nserial = {}\ncrypto_device = builtin\nsigner_cert = {}\ncerts = {}\nsigner_key = {}\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\naccuracy = secs:1\nclock_precision_digits = 3\nordering = no\ntsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n",
            k("serial"),
            k("tsa.pem"),
            k("ca.pem"),
            k("tsa.key")
        );
        std::fs::write(k("ts.cnf"), config).unwrap();
        let mut command = tool("python3");
        command.arg(root().join("tests/tools/tsa.py")).arg(k("ts.cnf"));
        if refuse {
            command.arg("--refuse");
        }
        let mut child =
            command.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
        let port: u16 = line.trim().parse().unwrap_or_else(|_| panic!("tsa.py printed {line:?}, not its port"));
        Tsa { child, url: format!("http://127.0.0.1:{port}/"), keys }
    }

    fn root(&self) -> PathBuf {
        self.keys.path().join("ca.pem")
    }
}

impl Drop for Tsa {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn with_a_timestamp_authority_the_signature_is_b_t_for_pyhanko_pdfsig_and_verify() {
    let tsa = Tsa::start(false);
    let (_school, _out, pdfs) = issued(&["HV-2026-001"], &["--tsa", &tsa.url]);
    let pdf = &pdfs[0];
    // pyHanko finds the token intact and its authority trusted (given the TSA's root).
    let output = tool("pyhanko")
        .args(["sign", "validate", "--trust-replace", "--trust"])
        .arg(root().join(CERTIFICATE))
        .arg("--trust")
        .arg(tsa.root())
        .arg(pdf)
        .output()
        .unwrap();
    let said = format!("{}{}", stdout(&output), stderr(&output));
    assert!(output.status.success(), "{said}");
    assert!(said.contains("INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,UNTOUCHED"), "{said}");
    assert!(pdfsig(pdf).contains("Signature is Valid"), "{}", pdfsig(pdf));
    qpdf_check(pdf);
    let (code, said) = verify(pdf, true);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("ok: the signature is timestamped by Harbor Test TSA at "), "{said}");
    // The token sits in the signature's own bytes, outside the range the signature covers: a
    // changed second in its time is caught by the authority's signature over it.
    let time = said.split("Harbor Test TSA at ").nth(1).unwrap().split(' ').next().unwrap();
    // Written with milliseconds (clock_precision_digits), as many authorities write it (and
    // without, in the one run in a thousand whose milliseconds are zero).
    let gen_time: String = time.replace(['-', ':', 'T'], "");
    let hex = |text: &str| text.bytes().map(|b| format!("{b:02X}")).collect::<String>();
    let mut later = gen_time.clone().into_bytes();
    let last = later.len() - 2;
    later[last] = if later[last] == b'9' { b'8' } else { later[last] + 1 };
    let bytes = std::fs::read(pdf).unwrap();
    let needle = hex(&gen_time).into_bytes();
    let found: Vec<usize> = (0..bytes.len() - needle.len()).filter(|&i| bytes[i..].starts_with(&needle)).collect();
    assert_eq!(found.len(), 1, "the token's time is in the signature once");
    let tampered = pdf.with_file_name("tampered.pdf");
    // Two hex digits of one byte of the token changed; every other byte as it was.
    let mut out = bytes.clone();
    out[found[0]..found[0] + needle.len()].copy_from_slice(hex(std::str::from_utf8(&later).unwrap()).as_bytes());
    std::fs::write(&tampered, &out).unwrap();
    let (code, said) = verify(&tampered, true);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("the signature's timestamp: the token's TSTInfo is not the one its authority signed"),
        "{said}"
    );
    let output = tool("pyhanko")
        .args(["sign", "validate", "--trust-replace", "--trust"])
        .arg(root().join(CERTIFICATE))
        .arg("--trust")
        .arg(tsa.root())
        .arg(&tampered)
        .output()
        .unwrap();
    let pyhanko_said = format!("{}{}", stdout(&output), stderr(&output));
    assert!(!pyhanko_said.contains("TIMESTAMP_TOKEN<INTACT:TRUSTED>"), "{pyhanko_said}");
    // Without a TSA the signature is B-B, and verify says so.
    let (_school, _out, plain) = issued(&["HV-2026-001"], &[]);
    let (_, said) = verify(&plain[0], true);
    assert!(said.contains("carries no timestamp (PAdES B-B)"), "{said}");
}

#[test]
fn a_timestamp_authority_that_does_not_answer_stops_the_issue_before_anything_is_written() {
    let down = Tsa::start(true);
    // A port nobody listens on: bound, then released.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}/", listener.local_addr().unwrap().port())
    };
    for (url, why) in [(down.url.as_str(), "answered HTTP 503"), (closed.as_str(), "did not answer")] {
        let school = tempfile::tempdir().unwrap();
        copy_dir(&root().join("fixtures/example-school"), school.path());
        let out = school.path().join("issued");
        let output =
            run(&["issue", path(school.path()), "--out", path(&out), "--key", KEY, "--pdf-key", PDF_KEY, "--tsa", url]);
        let said = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{said}");
        assert!(said.contains(why) && said.contains("nothing was issued"), "{said}");
        assert!(!out.exists(), "nothing written");
        assert!(!school.path().join("ledger.jsonl").exists(), "nothing recorded");
    }
}

#[test]
fn a_school_key_of_rsa_signs_as_well_as_one_of_ecdsa() {
    // A CA may have issued the school's certificate for an RSA key it made: PKCS #8 from OpenSSL.
    let keys = tempfile::tempdir().unwrap();
    let k = |name: &str| keys.path().join(name).to_string_lossy().into_owned();
    openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", &k("school.key")]);
    openssl(&[
        "req",
        "-x509",
        "-key",
        &k("school.key"),
        "-out",
        &k("school.pem"),
        "-subj",
        "/CN=Harbor View Academy/O=Harbor View Academy/C=US",
        "-days",
        "3000",
        "-sha256",
        "-addext",
        "keyUsage=critical,digitalSignature,nonRepudiation",
        "-addext",
        "extendedKeyUsage=1.3.6.1.5.5.7.3.36",
    ]);
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    std::fs::copy(k("school.pem"), school.path().join("keys/document-signing.pem")).unwrap();
    let out = tempfile::tempdir().unwrap();
    // The certificate starts now: issued as of tomorrow.
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let args = [
        "issue",
        path(school.path()),
        "--out",
        path(out.path()),
        "--key",
        KEY,
        "--pdf-key",
        &k("school.key"),
        "--student",
        "HV-2026-001",
        "--issue-date",
        &tomorrow,
    ];
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    let pdf = out.path().join("HV-2026-001/v1/transcript.pdf");
    assert!(pdfsig(&pdf).contains("Signature is Valid"), "{}", pdfsig(&pdf));
    let said = pyhanko_trusting(&pdf, Path::new(&k("school.pem")));
    assert!(said.contains("INTACT:TRUSTED,UNTOUCHED"), "{said}");
    let output =
        mastery().args(["verify", path(&pdf), "--at", &tomorrow, "--trust", &k("school.pem")]).output().unwrap();
    let said = format!("{}{}", stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(0), "{said}");
    assert!(said.contains("ok: the signer is trusted"), "{said}");
    // An RSA key that is not the certificate's is refused like any other.
    openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", &k("other.key")]);
    let other = k("other.key");
    let mut args = args.to_vec();
    args[7] = &other;
    let output = run(&args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("document_signing"), "{}", stderr(&output));
}
