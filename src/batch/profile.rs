//! The school profile as a document of its own (`mastery profile`): "how to read this
//! transcript", the scale, the rules, the graduation requirements and the credits offered,
//! which every portal asks for once a year, and which transcripts sent with it can leave out
//! (`--school-pages separate`).

use super::{BuildError, BuildOptions, Format, Plan};
use crate::aggregate::aggregate;
use crate::model::{Name, Student};
use crate::render;
use crate::transcript::SchoolPages;

/// The school profile of `options.school` as a PDF/A-3b, PDF/UA-1 document, rendered by the
/// template of the options (which must read `layout.school_pages`) in the locale and on the
/// paper they name. It is the transcript template's school pages with no student: the data
/// it carries (`transcript.json`) is the school's, with a blank student whose every credit is
/// not started. The disclosure profile is "college" unless the options name one.
pub fn profile(mut options: BuildOptions) -> Result<Vec<u8>, BuildError> {
    options.format = Format::Pdf;
    options.school_pages = SchoolPages::Only;
    options.profile.get_or_insert_with(|| "college".to_string());
    let plan = Plan::new(options)?;
    let template = plan.producer.template().expect("a PDF build has a template");
    let issue_date = plan.aggregate.issue_date;
    let nobody = Student {
        schema: None,
        id: String::new(),
        name: Name { legal: String::new(), preferred: None, given: None, middle: None, family: None },
        birth_date: issue_date,
        expected_graduation: issue_date,
        evidence: Vec::new(),
        work_samples: Vec::new(),
        attestations: Vec::new(),
        highlights: Vec::new(),
    };
    let transcript = aggregate(&plan.school, &nobody, &plan.aggregate);
    let attachments: Vec<render::Attachment> = plan.logo.iter().cloned().collect();
    render::pdf(template, &transcript, &attachments)
        .map_err(|error| BuildError::Usage(format!("the school profile cannot be rendered: {error}")))
}
