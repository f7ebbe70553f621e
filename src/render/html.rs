//! Stage 4, render (HTML): a [`Transcript`] as one self-contained, accessible web page.
//!
//! The page holds the same content as the PDF, with drill-down: each credit area opens to its
//! credits and each credit to its standard, its evidence and who validated it, using
//! `<details>`, so it works without JavaScript (a few lines of script only open everything
//! before printing). The styles are inline, the logo and QR code are data URIs: the file makes
//! no request of its own. Every value from the records goes through maud, which escapes it,
//! so a name like `<script>alert(1)</script>` prints as text. Labels come from the default
//! template's locale files, so the HTML and the PDF say the same things. The page runs in its
//! locale's direction (`dir="rtl"` for Arabic); every text from the records is isolated in its
//! own (`<bdi>`, or `dir="auto"` on a paragraph of its own), as the PDF does.

use base64::Engine;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;

use crate::decimal::Amount;
use crate::load::TemplateFile;
use crate::render::{Attachment, embedded_template};
use crate::transcript::{AreaResult, CreditResult, CreditStatus, GraduationStatus, NoLevel, Shortfall, Transcript};
use crate::words::fill;

/// The labels of a locale, from the default template (`locale/<name>.json`); English when
/// there is no such file.
fn labels(locale: &str) -> Value {
    let files: Vec<TemplateFile> = embedded_template();
    let find = |name: &str| files.iter().find(|f| f.path == format!("locale/{name}.json"));
    let file = find(locale).or_else(|| find("en")).expect("the default template has English labels");
    serde_json::from_slice(&file.bytes).expect("the locale files are JSON")
}

/// A text from the records among labels, isolated so that its direction neither takes nor
/// gives the direction of the words around it. The direction is its first strong letter's;
/// a text with none (a date, a phone number) runs left to right, as the PDF has it, where
/// `dir="auto"` would give it the page's.
fn bdi(text: &str) -> Markup {
    let dir = match unicode_bidi::get_base_direction(text) {
        unicode_bidi::Direction::Rtl => "rtl",
        _ => "ltr",
    };
    html! { bdi dir=(dir) { (text) } }
}

/// The CLDR plural category of a number of credits: Arabic tells zero, one, two, few (3 to 10)
/// and many (11 to 99) apart; the other built-in languages one and other. A fraction is
/// "other" in every one of them.
fn plural_category(locale: &str, n: &Amount) -> &'static str {
    use rust_decimal::prelude::ToPrimitive;
    let value = n.value();
    let Some(i) = value.fract().is_zero().then(|| value.to_u64()).flatten() else { return "other" };
    if locale != "ar" {
        return if i == 1 { "one" } else { "other" };
    }
    match (i, i % 100) {
        (0, _) => "zero",
        (1, _) => "one",
        (2, _) => "two",
        (_, 3..=10) => "few",
        (_, 11..=99) => "many",
        _ => "other",
    }
}

struct Labels {
    labels: Value,
    locale: String,
}

impl Labels {
    /// A label; a missing one shows as its key, which a test of every label would catch.
    fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.labels.get(key).and_then(Value::as_str).unwrap_or(key)
    }

    fn nested<'a>(&'a self, group: &str, key: &'a str) -> &'a str {
        self.labels.get(group).and_then(|g| g.get(key)).and_then(Value::as_str).unwrap_or(key)
    }

    /// A number of credits with the word in its grammatical number: from the locale's
    /// `credit_forms` when it lists them, else `credit_word` for one and `credits_word`.
    fn credits(&self, n: &Amount) -> String {
        let word = match self.labels.get("credit_forms") {
            Some(_) => {
                let category = plural_category(&self.locale, n);
                let form = self.nested("credit_forms", category);
                if form == category { self.nested("credit_forms", "other") } else { form }
            }
            None if n.is_one() => self.get("credit_word"),
            None => self.get("credits_word"),
        };
        format!("{n} {word}")
    }

    /// Whether the locale is written right to left: its file says `"direction": "rtl"`, as
    /// the PDF template reads it.
    fn right_to_left(&self) -> bool {
        self.get("direction") == "rtl"
    }

    fn status(&self, status: GraduationStatus) -> &str {
        match status {
            GraduationStatus::Met => self.get("status_met"),
            GraduationStatus::OnTrack => self.get("status_on_track"),
            GraduationStatus::NotMet => self.get("status_not_met"),
        }
    }

    fn method(&self, name: &str, parameters: &std::collections::BTreeMap<String, String>) -> String {
        crate::words::method(&self.labels["methods"], name, parameters)
    }

    fn shortfall(&self, shortfall: &Shortfall) -> String {
        let (kind, values): (&str, Vec<(&str, String)>) = match shortfall {
            Shortfall::AreaCredits { area, earned, required, needed } => (
                "area_credits",
                vec![
                    ("area", area.clone()),
                    ("earned", earned.to_string()),
                    ("required", required.to_string()),
                    ("needed", self.credits(needed)),
                ],
            ),
            Shortfall::AreaMinimum { area, credit, level, minimum } => (
                "area_minimum",
                vec![
                    ("area", area.clone()),
                    ("credit", credit.clone()),
                    ("level", level.to_string()),
                    ("minimum", minimum.to_string()),
                ],
            ),
            Shortfall::TotalCredits { earned, required, needed } => (
                "total_credits",
                vec![
                    ("earned", earned.to_string()),
                    ("required", required.to_string()),
                    ("needed", self.credits(needed)),
                ],
            ),
            Shortfall::AdvancedCredits { earned, required, needed } => (
                "advanced_credits",
                vec![
                    ("earned", earned.to_string()),
                    ("required", required.to_string()),
                    ("needed", self.credits(needed)),
                ],
            ),
            Shortfall::RequiredCredit { credit } => ("required_credit", vec![("credit", credit.clone())]),
        };
        fill(self.nested("shortfalls", kind), &values)
    }

    fn no_level(&self, reason: &NoLevel) -> String {
        let (kind, values): (&str, Vec<(&str, String)>) = match reason {
            NoLevel::NoEvidence => ("no_evidence", vec![]),
            NoLevel::OnlyZeroWeight => ("only_zero_weight", vec![]),
            NoLevel::TooFewEvidence { have, need } => {
                ("too_few_evidence", vec![("have", have.to_string()), ("need", need.to_string())])
            }
            NoLevel::TooFewScores { have, need } => {
                ("too_few_scores", vec![("have", have.to_string()), ("need", need.to_string())])
            }
            NoLevel::ScoreNotPositive => ("score_not_positive", vec![]),
            NoLevel::NotEnoughAtMastery { have, need, .. } => {
                ("not_enough_at_mastery", vec![("have", have.to_string()), ("need", need.to_string())])
            }
            NoLevel::Tie { scores } => {
                ("tie", vec![("scores", scores.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))])
            }
        };
        fill(self.nested("no_level", kind), &values)
    }

    fn credit_state(&self, status: CreditStatus) -> &str {
        match status {
            CreditStatus::AwaitingApproval => self.get("state_awaiting_approval"),
            CreditStatus::AwaitingJudgement => self.get("state_awaiting_judgement"),
            CreditStatus::Exempt => self.get("exempt"),
            CreditStatus::Earned => self.get("earned"),
            _ => self.get("state_in_progress"),
        }
    }
}

fn data_uri(mime: &str, bytes: &[u8]) -> String {
    format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn logo_mime(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "svg" => "image/svg+xml",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "image/png",
    }
}

/// The transcript as a complete HTML document.
pub fn html(transcript: &Transcript, logo: Option<&Attachment>) -> Vec<u8> {
    let locale = &transcript.layout.locale;
    let t = Labels { labels: labels(locale), locale: locale.clone() };
    let d = transcript;
    let student = &d.student;
    let page = html! {
        (DOCTYPE)
        html lang=(locale) dir=(if t.right_to_left() { "rtl" } else { "ltr" }) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content=(concat!("mastery ", env!("CARGO_PKG_VERSION")));
                // No request leaves the page: no scripts, styles or images from elsewhere.
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'";
                title { (t.get("document_title")) ": " (student.display_name) " · " (d.school.name) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                a.skip href="#main" { (t.get("document_title")) }
                @if !d.verification.official {
                    p.unofficial role="note" { strong { (t.get("unofficial_banner")) } }
                }
                header {
                    @if let Some(logo) = logo {
                        img.logo src=(data_uri(logo_mime(&logo.path), &logo.bytes)) alt=(format!("{} {}", d.school.name, t.get("logo_alt")));
                    }
                    div.school {
                        p.school-name { (bdi(&d.school.name)) }
                        p.muted {
                            @for (i, line) in d.school.address_lines.iter().enumerate() { @if i > 0 { " · " } (bdi(line)) }
                            @if let Some(ceeb) = &d.school.ceeb_code { " · " (t.get("ceeb")) " " (bdi(ceeb)) }
                        }
                        p.muted {
                            @let contact = [&d.school.contact.name, &d.school.contact.email, &d.school.contact.phone, &d.school.contact.website];
                            @for (i, item) in contact.iter().filter_map(|c| c.as_deref()).enumerate() { @if i > 0 { " · " } (bdi(item)) }
                        }
                    }
                    p.kind { (t.get("document_title")) br; span.muted { (t.get("issued")) " " (bdi(&d.issue_date)) } }
                }
                main id="main" {
                    h1 { (bdi(&student.display_name)) }
                    dl.facts {
                        @if student.preferred_name.as_ref().is_some_and(|p| p != &student.legal_name) {
                            div { dt { (t.get("legal_name")) } dd { (bdi(&student.legal_name)) } }
                        }
                        @if let Some(id) = &student.id { div { dt { (t.get("student_id")) } dd { (bdi(id)) } } }
                        @if let Some(birth) = &student.birth_date { div { dt { (t.get("birth_date")) } dd { (bdi(birth)) } } }
                        div { dt { (t.get("expected_graduation")) } dd { (bdi(&student.expected_graduation)) } }
                        div { dt { (t.get("graduation_status")) } dd.status { (t.status(d.graduation.status)) } }
                    }
                    (profile(d, &t))
                    (totals(d, &t))
                    @if !d.highlights.is_empty() {
                        section aria-labelledby="highlights" {
                            h2 id="highlights" { (t.get("highlights")) }
                            ul.highlights { @for h in &d.highlights { li dir="auto" { (h) } } }
                        }
                    }
                    section aria-labelledby="areas" {
                        h2 id="areas" { (t.get("earned_credits")) }
                        @for area in &d.areas { (area_details(area, d, &t)) }
                    }
                    @if let Some(e) = &d.equivalency {
                        section aria-labelledby="equivalency" {
                            h2 id="equivalency" { (t.get("equivalency")) ": " (bdi(&e.label)) }
                            p dir="auto" { (e.explanation) }
                            @if let (Some(mean), Some(value)) = (&e.mean_level, &e.value) { p { (t.get("mean_level")) ": " strong { (mean) } (if t.right_to_left() { " ← " } else { " → " }) strong { (value) } } }
                        }
                    }
                    (how_to_read(d, &t))
                    @if let Some(about) = &d.school.about {
                        section aria-labelledby="about" { h2 id="about" { (t.get("about_school")) } p dir="auto" { (about) } }
                    }
                }
                footer {
                    h2 { (t.get("verification")) }
                    @if !d.verification.official {
                        p { strong { (t.get("unofficial_title")) "." } " " (t.get("unofficial_notice")) }
                    } @else {
                        @if let Some(url) = &d.verification.url {
                            p { (t.get("verification_line")) " " a href=(url) { (url) } }
                        }
                        p.muted { (t.get("credential")) ": " (d.verification.credential_id) }
                    }
                    @if let (Some(svg), Some(url)) = (&d.verification.qr_code_svg, &d.verification.url) {
                        img.qr src=(data_uri("image/svg+xml", svg.as_bytes())) alt=(format!("{} {url}", t.get("qr_alt")));
                    }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    page.into_string().into_bytes()
}

fn profile(d: &Transcript, t: &Labels) -> Markup {
    html! {
        section aria-labelledby="profile" {
            h2 id="profile" { (t.get("credit_profile")) }
            table.profile {
                caption.visually-hidden { (t.get("credit_profile_alt")) }
                thead { tr { th scope="col" { (t.get("area")) } th scope="col" { (t.get("earned")) } th scope="col" { (t.get("earned")) " / " (t.get("required")) } } }
                tbody {
                    @for area in &d.areas {
                        tr {
                            th scope="row" { (bdi(&area.title)) }
                            td {
                                span aria-hidden="true" {
                                    @for _ in 0..area.earned.foundational { span.mark.foundational {} }
                                    @for _ in 0..area.earned.advanced { span.mark.advanced {} }
                                    @for _ in 0..missing_marks(area) { span.mark.required {} }
                                }
                                span.visually-hidden {
                                    (area.earned.foundational) " " (t.get("legend_foundational")) ", "
                                    (area.earned.advanced) " " (t.get("legend_advanced")) ", "
                                    (missing_marks(area)) " " (t.get("legend_required"))
                                }
                            }
                            td.number { (area.earned.value) @if let Some(r) = &area.required { " / " (r) } }
                        }
                    }
                }
            }
            p.legend aria-hidden="true" {
                span.mark.foundational {} " " (t.get("legend_foundational")) " "
                span.mark.advanced {} " " (t.get("legend_advanced")) " "
                span.mark.required {} " " (t.get("legend_required"))
            }
        }
    }
}

/// Whole credits' worth of value still required in an area: the empty squares.
#[allow(clippy::disallowed_types, reason = "the width of a bar drawn in the page, not a value shown")]
fn missing_marks(area: &AreaResult) -> u32 {
    let required: f64 = area.required.map_or(0.0, |r| r.to_f64());
    let earned: f64 = area.earned.value.to_f64();
    (required - earned).max(0.0).ceil() as u32
}

fn totals(d: &Transcript, t: &Labels) -> Markup {
    let g = &d.graduation;
    html! {
        section aria-labelledby="totals" {
            h2 id="totals" { (t.get("totals")) }
            dl.facts {
                div { dt { (t.get("total")) } dd { strong { (g.total_earned) } " " (t.get("of_required")) " " (g.total_required) " " (t.get("credits_earned")) } }
                div { dt { (t.get("advanced")) } dd { strong { (g.advanced_earned) } " " (t.get("of_required")) " " (g.advanced_required) " " (t.get("advanced_credits")) } }
                div { dt { (t.get("graduation_status")) } dd { (t.status(g.status)) } }
            }
            @if !g.shortfalls.is_empty() {
                p { strong { (t.get("still_missing")) ":" } }
                ul { @for s in &g.shortfalls { li { (t.shortfall(s)) } } }
            }
        }
    }
}

fn area_details(area: &AreaResult, d: &Transcript, t: &Labels) -> Markup {
    let shown: Vec<&CreditResult> = area
        .credits
        .iter()
        .filter(|c| c.status.counts() || (d.layout.show_in_progress && c.status != CreditStatus::NotStarted))
        .collect();
    html! {
        details.area {
            summary {
                h3 { (bdi(&area.title)) }
                span.muted { " " (area.earned.value) @if let Some(r) = &area.required { " / " (r) } }
            }
            p.muted dir="auto" { (area.description) }
            @if shown.is_empty() { p { em { (t.get("no_credits_yet")) } } }
            @for credit in shown { (credit_details(credit, t)) }
        }
    }
}

fn credit_details(credit: &CreditResult, t: &Labels) -> Markup {
    let tier = match credit.tier {
        crate::model::CreditLevel::Foundational => t.get("foundational"),
        crate::model::CreditLevel::Advanced => t.get("advanced"),
    };
    html! {
        details.credit {
            summary {
                h4 { (bdi(&credit.title)) }
                span.muted {
                    " · " (tier)
                    @if let Some(label) = &credit.level_label { " · " (bdi(label)) " (" (credit.level.map(|l| l.to_string()).unwrap_or_default()) ")" }
                    " · " (t.credit_state(credit.status))
                }
            }
            p dir="auto" { (credit.description) }
            dl.facts {
                @if let Some(date) = &credit.date_earned { div { dt { (t.get("date_earned")) } dd { (bdi(date)) } } }
                @if let Some(by) = &credit.validated_by { div { dt { (t.get("validated_by")) } dd { (bdi(by)) } } }
                @if let Some(reason) = &credit.calculation.no_level { div { dt { (t.get("state")) } dd { (t.no_level(reason)) } } }
            }
            @if credit.status == CreditStatus::Exempt { p { em { (t.get("exempt_note")) } } }
            @if !credit.calculation.evidence.is_empty() {
                table.evidence {
                    caption { (bdi(&credit.title)) }
                    thead { tr { th scope="col" { "#" } th scope="col" { (t.get("date")) } th scope="col" { (t.get("score")) } th scope="col" { (t.get("validated_by")) } th scope="col" { (t.get("work_samples")) } } }
                    tbody {
                        @for e in &credit.calculation.evidence {
                            tr {
                                td { @if let Some(i) = e.position { (i) } @else { "–" } }
                                td { (e.date) }
                                td { (e.score) }
                                td { (bdi(&e.assessor)) }
                                td {
                                    @if let Some(sample) = e.work_sample.as_ref().and_then(|id| credit.work_samples.iter().find(|w| &w.id == id)) {
                                        a href=(sample.url) { (bdi(&sample.title)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !credit.work_samples.is_empty() {
                ul.samples {
                    @for w in &credit.work_samples {
                        li { a href=(w.url) { (bdi(&w.title)) } ": " (bdi(&w.description)) " (" (bdi(&w.date)) ")" }
                    }
                }
            }
        }
    }
}

fn how_to_read(d: &Transcript, t: &Labels) -> Markup {
    html! {
        section aria-labelledby="how" {
            h2 id="how" { (t.get("how_to_read")) }
            p dir="auto" { (d.school.how_to_read) }
            h3 { (t.get("scale")) }
            table {
                thead { tr { th scope="col" { (t.get("level")) } th scope="col" { (t.get("value")) } th scope="col" { "" } } }
                tbody { @for l in &d.scale.levels { tr { th scope="row" { (bdi(&l.label)) } td { (l.value) } td { (bdi(&l.description)) } } } }
            }
            p { (t.get("mastery_at")) " " (d.scale.threshold) " (" (bdi(&d.scale.threshold_label)) ")." }
            h3 { (t.get("how_levels")) }
            p {
                (t.get("level_rule")) " " (t.method(&d.policy.method_name, &d.policy.parameters)) ". "
                (t.get("min_evidence")) " " (d.policy.min_evidence) " " (t.get("pieces_of_evidence")) ". "
                (if d.policy.attestation_required { t.get("attestation_required") } else { t.get("attestation_not_required") })
            }
            @if !d.policy.overrides.is_empty() {
                p { (t.get("exceptions")) ":" }
                ul {
                    @for o in &d.policy.overrides {
                        li {
                            strong { (bdi(&o.title)) } ": "
                            @if let Some(name) = &o.method_name { (fill(t.get("override_level"), &[("method", t.method(name, &o.parameters))])) }
                            @if let Some(reason) = &o.reason { " (" (bdi(reason)) ")" }
                        }
                    }
                }
            }
            h3 { (t.get("graduation_requirements")) }
            p { (t.get("total_credits")) ": " (d.graduation.total_required) @if !d.graduation.advanced_required.value().is_zero() { ", " (t.get("advanced")) ": " (d.graduation.advanced_required) } "." }
            ul { @for a in d.areas.iter().filter(|a| a.required.is_some()) { li { (bdi(&a.title)) ": " (a.required.unwrap_or_default()) @if let Some(min) = &a.min_level { ", " (t.get("min_level_rule")) " " (min) } } } }
        }
    }
}

const STYLE: &str = r#"
:root { --ink: #1c1c1c; --muted: #545454; --accent: #1d3f66; --accent-light: #dfe7f1; --advanced: #7a3b12; --rule: #b5b5b5; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 52rem; padding: 1.5rem; font: 16px/1.5 Georgia, "Libertinus Serif", "Times New Roman", serif; color: var(--ink); background: #fff; }
a { color: var(--accent); }
a:focus, summary:focus { outline: 3px solid #b35900; outline-offset: 2px; }
.skip { position: absolute; inset-inline-start: -999px; }
.skip:focus { inset-inline-start: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 1; }
.unofficial { margin: 0 0 1rem; padding: .4rem .75rem; border: 2px solid #7a3b12; color: #7a3b12; text-align: center; letter-spacing: .04em; }
header { display: flex; gap: 1rem; align-items: center; border-bottom: 3px solid var(--accent); padding-bottom: .75rem; }
header .school { flex: 1; }
header p { margin: 0; }
.school-name { font-size: 1.3rem; font-weight: bold; }
.kind { text-align: end; font-weight: bold; color: var(--accent); text-transform: uppercase; }
.logo { height: 4rem; width: auto; }
h1, h2, h3, h4, table, dl.facts, .kind, .school, .legend, .unofficial { font-family: "Noto Sans", system-ui, sans-serif; }
.muted { color: var(--muted); }
h1 { color: var(--accent); margin: 1rem 0 .25rem; }
h2 { color: var(--accent); border-bottom: 1px solid var(--rule); padding-bottom: .2rem; margin-top: 2rem; }
h3, h4 { display: inline; font-size: 1.1rem; margin: 0; }
h4 { font-size: 1rem; }
dl.facts { display: flex; flex-wrap: wrap; gap: .5rem 2rem; margin: .5rem 0; }
dl.facts dt { font-size: .8rem; text-transform: uppercase; color: var(--muted); }
dl.facts dd { margin: 0; }
.status { font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: start; padding: .3rem .4rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
thead th { font-size: .85rem; color: var(--muted); }
td.number { text-align: end; white-space: nowrap; }
.mark { display: inline-block; width: .8rem; height: .8rem; margin-inline-end: .2rem; vertical-align: middle; }
.mark.foundational { background: var(--accent); }
.mark.advanced { background: var(--advanced); transform: rotate(45deg) scale(.8); }
.mark.required { border: 1.5px solid var(--muted); }
.legend { font-size: .85rem; color: var(--muted); }
.highlights li { font-style: italic; border-inline-start: 3px solid var(--accent-light); list-style: none; padding-inline-start: .6rem; margin: .4rem 0; }
.highlights { padding: 0; }
details { margin: .4rem 0; }
details.area { border: 1px solid var(--rule); border-radius: 4px; padding: .4rem .8rem; }
details.credit { border-inline-start: 3px solid var(--accent-light); padding-inline-start: .8rem; }
summary { cursor: pointer; }
caption { text-align: start; font-size: .85rem; color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
footer { margin-top: 2rem; border-top: 1px solid var(--rule); padding-top: .5rem; }
footer h2 { border: 0; margin-top: .5rem; font-size: 1.1rem; }
.qr { width: 8rem; height: 8rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  .skip { display: none; }
  details { border: 0; padding: 0; }
  summary { list-style: none; }
  summary::-webkit-details-marker { display: none; }
  details.credit, tr { break-inside: avoid; }
  .samples a::after { content: " <" attr(href) ">"; color: var(--muted); font-size: .85em; }
}
"#;

/// Opens every section before printing, so paper shows everything; the page works without it.
/// The page as the console previews it: the same, without its one script (which only opens
/// every section for printing), since the console lets no script run in a preview.
pub fn without_script(page: &[u8]) -> Vec<u8> {
    let element = format!("<script>{SCRIPT}</script>");
    match memchr::memmem::find(page, element.as_bytes()) {
        Some(at) => [&page[..at], &page[at + element.len()..]].concat(),
        None => page.to_vec(),
    }
}

const SCRIPT: &str =
    "addEventListener('beforeprint', () => document.querySelectorAll('details').forEach(d => d.open = true));";
