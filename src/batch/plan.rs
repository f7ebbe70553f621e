//! Resolving a build's options once, before anything is written.

use super::manifest::RunInputs;
use super::produce::Producer;
use super::{BuildError, BuildOptions, Format};
use crate::aggregate::AggregateOptions;
use crate::diag::{Diagnostic, Severity};
use crate::intake::{self, OpenSchool};
use crate::issue::books::{Asking, Issuing};
use crate::model::{DisclosureProfile, School};
use crate::render::{self, Attachment};
use crate::transcript::Layout;
use crate::validate::{self, Schemas, ValidateOptions};

/// A build resolved from its options: the school checked, the template, fonts and key read
/// (once), the options every student shares, and the hash of every input besides the
/// students'.
pub struct Plan {
    pub(super) options: BuildOptions,
    pub(super) schemas: Schemas,
    pub(super) open: OpenSchool,
    pub(super) school: School,
    pub(super) validate: ValidateOptions,
    pub(super) aggregate: AggregateOptions,
    pub(super) logo: Option<Attachment>,
    pub(super) producer: Producer,
    pub(super) inputs: RunInputs,
    /// For an issue: the ledger (locked) and what it says.
    pub(super) issuing: Option<Issuing>,
}

impl Plan {
    /// Opens and checks the school and reads what the format needs. Refuses, before anything
    /// is written, a school whose `school.json` has errors, a key that is not the school's,
    /// and options that cannot be met. For an issue, it also takes the school's ledger: its
    /// lock (`ledger.lock`) is held until the plan is dropped, and a ledger whose chain breaks
    /// is refused.
    pub fn new(options: BuildOptions) -> Result<Plan, BuildError> {
        let schemas = Schemas::new();
        let open = intake::open(&options.school, &schemas)?;
        let Some(school) = open.school.clone() else {
            return Err(BuildError::Invalid {
                diagnostics: open.diagnostics.clone(),
                reason: "school.json has errors".to_string(),
            });
        };
        let writes_pesc = options.format.writes_pesc();
        let validate = ValidateOptions { issue_date: options.issue_date, pesc: writes_pesc.then_some(Severity::Error) };
        if writes_pesc {
            pesc_refusals(&open, &school)?;
        }
        let issue_date =
            validate::issue_date(&school, &validate).map_err(|missing| BuildError::Usage(missing.to_string()))?;
        let disclosure = match &options.profile {
            None => DisclosureProfile::everything(),
            Some(name) => school.disclosure_profile(name).ok_or_else(|| {
                BuildError::Usage(format!(
                    "no disclosure profile \"{name}\"; the school has {}",
                    school.disclosure_profile_names().join(", ")
                ))
            })?,
        };
        let logo = open.folder.logo.as_ref().map(|asset| Attachment {
            path: render::logo_path(asset.path.extension().and_then(|e| e.to_str()).unwrap_or("png")),
            bytes: asset.bytes.clone(),
        });
        let aggregate = AggregateOptions {
            issue_date,
            logo: logo.as_ref().map(|l| l.path.clone()),
            layout: Layout {
                paper: options.paper,
                locale: options.locale.clone(),
                show_in_progress: !options.hide_in_progress,
                profile: options.profile.clone().unwrap_or_else(|| "internal".to_string()),
                school_pages: options.school_pages,
            },
            disclosure,
        };
        let producer = match Producer::new(&options, &open, &school) {
            Ok(producer) => producer,
            Err(BuildError::Invalid { mut diagnostics, reason }) => {
                diagnostics.splice(0..0, open.diagnostics.iter().cloned());
                return Err(BuildError::Invalid { diagnostics, reason });
            }
            Err(error) => return Err(error),
        };
        let inputs = run_inputs(&open, &options, &aggregate, logo.as_ref(), &producer);
        let issuing = match producer.official() {
            Some(official) => {
                let asking = Asking {
                    by: options.by.clone().unwrap_or_else(crate::issue::default_actor),
                    recipient: options.recipient.clone(),
                    profile: aggregate.layout.profile.clone(),
                    reissue: options.reissue.clone(),
                    requests: options.requests.clone(),
                };
                Some(Issuing::open(open.dir(), &school, &official.base, asking, &official.signer)?)
            }
            None => None,
        };
        Ok(Plan { options, schemas, open, school, validate, aggregate, logo, producer, inputs, issuing })
    }

    /// What the plan was made from.
    pub fn options(&self) -> &BuildOptions {
        &self.options
    }

    /// The school folder, as opened.
    pub fn open(&self) -> &OpenSchool {
        &self.open
    }

    /// The problems of `school.json` and the folder that do not stop the build (warnings).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.open.diagnostics
    }
}

/// Refuses, before anything is written, a school whose `school.json` has values PESC XML's
/// schema would refuse.
fn pesc_refusals(open: &OpenSchool, school: &School) -> Result<(), BuildError> {
    let mut diagnostics = match &open.folder.school {
        Some(document) => validate::pesc_school(document, school, Severity::Error),
        None => Vec::new(),
    };
    if diagnostics.is_empty() {
        return Ok(());
    }
    diagnostics.splice(0..0, open.diagnostics.iter().cloned());
    Err(BuildError::Invalid { diagnostics, reason: "school.json has values the PESC XML schema refuses".to_string() })
}

/// Everything every output of this run depends on besides the student: `school.json`, the
/// logo, the options, the template and fonts, the public half of the key.
fn run_inputs(
    open: &OpenSchool,
    options: &BuildOptions,
    aggregate: &AggregateOptions,
    logo: Option<&Attachment>,
    producer: &Producer,
) -> RunInputs {
    let mut inputs = RunInputs::new();
    let school = open.folder.school.as_ref().map(|d| serde_json::to_vec(d.value()).unwrap_or_default());
    inputs.add("school.json", &school.unwrap_or_default());
    inputs.add("logo", logo.map_or(&[][..], |l| l.bytes.as_slice()));
    inputs.add("format", format!("{:?}", options.format).as_bytes());
    inputs.add("issue date", aggregate.issue_date.to_string().as_bytes());
    inputs.add("layout", &serde_json::to_vec(&aggregate.layout).unwrap_or_default());
    // The key signs; its public half is an input (the secret never goes into a hash).
    if let Some(key) = producer.public_key() {
        inputs.add("key", key.as_bytes());
    }
    if options.format == Format::Pdf
        && let Some(template) = producer.template()
    {
        let source = template.source();
        for file in &source.files {
            inputs.add(&file.path, &file.bytes);
        }
        for font in &source.fonts {
            inputs.add("font", font);
        }
    }
    inputs
}
