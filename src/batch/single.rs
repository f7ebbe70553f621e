//! Building one student at a time, on demand: the console's previews. The plan is made once
//! and the render process kept between students, so a student costs their own aggregation and
//! rendering only, not a read of the whole folder and a new process.

use super::produce::{Built, Context, Job, Renderer, build_student};
use super::{BuildError, BuildOptions, Format, Plan, Problem};
use std::path::Path;

use crate::load;
use crate::render::worker::Supervised;
use crate::validate::StudentRecord;

/// A plan that builds the students it is handed, one by one, into its output folder (each
/// student's file replaced by the next build of them), with its render process kept warm.
pub struct Single {
    plan: Plan,
    /// The render process of the last PDF, kept for the next one.
    kept: Option<Box<Supervised>>,
}

impl Single {
    /// The plan of `options` (PDF, HTML or data: the unsigned formats), made once. Refuses
    /// what [`Plan::new`] refuses, and the signed formats, which belong to a whole build.
    pub fn new(options: BuildOptions) -> Result<Single, BuildError> {
        if !matches!(options.format, Format::Pdf | Format::Html | Format::Data) {
            return Err(BuildError::Usage("only PDF, HTML and data are built one student at a time".to_string()));
        }
        let plan = Plan::new(options)?;
        crate::output::create_folder(&plan.options.out)?;
        Ok(Single { plan, kept: None })
    }

    /// The plan it builds with.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Builds `record` (a valid record of the plan's school) and gives the bytes written.
    pub fn build(&mut self, record: StudentRecord) -> Result<Vec<u8>, Problem> {
        let Single { plan, kept } = self;
        let output = plan.producer.output_name(&record.student.id);
        let context = Context {
            school: &plan.school,
            producer: &plan.producer,
            options: &plan.aggregate,
            logo: plan.logo.as_ref(),
            out: &plan.options.out,
        };
        let mut renderer = match kept.take() {
            Some(supervised) => Renderer::Supervised(supervised),
            None => Renderer::new(&plan.producer, &plan.options.isolation, "the default template"),
        };
        let (id, source) = (record.student.id.clone(), record.source.display().to_string());
        let job = Job { record, output: output.clone(), inputs: String::new(), ticket: None };
        let built = build_student(job, &context, &mut renderer);
        if let Renderer::Supervised(supervised) = renderer {
            *kept = Some(supervised);
        }
        match built {
            Built::Files { .. } => load::file_beneath(&plan.options.out, Path::new(&output)).map_err(|error| Problem {
                student: Some(id),
                source,
                kind: "write",
                messages: vec![error.to_string()],
            }),
            Built::Failed(problem) | Built::Skipped(problem) => Err(problem),
        }
    }
}
