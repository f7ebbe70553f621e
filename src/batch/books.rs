//! The books of a run: `manifest.json` and its journal, kept true while the run writes.
//!
//! The outputs of earlier runs stay listed until this run rebuilds them. Each output this run
//! writes is appended to the journal only once its files are whole and in place, so a run
//! killed at any moment leaves a record of what it finished, which the next run reads back;
//! a run that ends writes the manifest whole and removes the journal.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::BuildError;
use super::manifest::{Entry, JournalLine, Manifest};
use super::produce::outputs_named;
use crate::{load, output};

pub(super) struct Books {
    out: PathBuf,
    manifest: Manifest,
    journal: File,
}

fn manifest_path(out: &Path) -> PathBuf {
    out.join("manifest.json")
}

fn journal_path(out: &Path) -> PathBuf {
    out.join(".manifest-journal.jsonl")
}

impl Books {
    /// Opens the books of the output folder; also gives the manifest as the last run left it
    /// (empty when `force`), against which a student's outputs are up to date or not.
    pub(super) fn open(out: &Path, force: bool) -> Result<(Books, Manifest), BuildError> {
        let old = if force {
            Manifest::new()
        } else {
            let mut manifest =
                load::optional_file(&manifest_path(out))?.map(|bytes| Manifest::parse(&bytes)).unwrap_or_default();
            // The outputs a killed run finished after its manifest was last saved.
            if let Some(journal) = load::optional_file(&journal_path(out))? {
                manifest.apply_journal(&journal);
            }
            manifest
        };
        let manifest = Manifest { outputs: old.outputs.clone(), ..Manifest::new() };
        output::write_atomic(&manifest_path(out), &manifest.to_json())?;
        let journal = output::journal(&journal_path(out))?;
        Ok((Books { out: out.to_path_buf(), manifest, journal }, old))
    }

    /// Lists the files of one output just written, journaled; files its folder held before
    /// and no longer does are removed. Gives the files' names.
    pub(super) fn written(&mut self, output: &str, files: Vec<(String, Entry)>) -> Result<Vec<String>, BuildError> {
        let stale: Vec<String> = outputs_named(&self.manifest, output)
            .map(|(file, _)| file.clone())
            .filter(|file| !files.iter().any(|(written, _)| written == file))
            .collect();
        for file in stale {
            self.manifest.outputs.remove(&file);
            output::remove(&self.out.join(&file))?;
        }
        let mut names = Vec::with_capacity(files.len());
        for (file, entry) in files {
            let line = JournalLine { file, entry };
            output::append_unflushed(&mut self.journal, &journal_path(&self.out), &line.to_line())?;
            names.push(line.file.clone());
            self.manifest.outputs.insert(line.file, line.entry);
        }
        Ok(names)
    }

    /// Writes the manifest whole and removes the journal.
    pub(super) fn close(self) -> Result<(), BuildError> {
        output::write_atomic(&manifest_path(&self.out), &self.manifest.to_json())?;
        drop(self.journal);
        output::remove(&journal_path(&self.out))?;
        Ok(())
    }
}
