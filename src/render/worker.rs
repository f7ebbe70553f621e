//! Rendering in supervised worker processes, so that no template can hang, exhaust or crash a
//! batch.
//!
//! typst guards against endless `while` loops and deep recursion, but nothing stops a template
//! from iterating over `range(1000000000000)` or building a list of a billion items, and a
//! thread cannot be stopped from outside. A process can: each build worker keeps one render
//! process (the same `mastery` binary, started with a hidden command), sends it the template
//! once, then one document at a time, and waits with a deadline while watching the process's
//! memory (its resident size, read every 50 ms: an address-space limit would also refuse the
//! allocator's and the threads' reservations). A document that overruns either limit, or a process that dies (SIGKILL, a crash),
//! fails that one student with a message naming the template; the process is replaced and
//! the batch goes on.
//!
//! The protocol, over the process's standard input and output, is a sequence of frames: a
//! 4-byte little-endian length and a JSON header, then an 8-byte length and the payload the
//! header describes (the template's files, a document's data, a PDF).

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{Attachment, PdfJob, RenderError, Template, TemplateSource, export_with, render_pdf_kept};
use crate::load::TemplateFile;

/// Turns transparent huge pages off for this process and those it starts; the binary calls it
/// first thing. mimalloc asks the kernel for huge pages, and each fresh one is zeroed whole
/// (2 MiB) when first touched; a render process frees and touches new memory on every
/// document, so on a build of 30 students the kernel spent 0.4 to 0.6 s zeroing pages against
/// 0.16 to 0.27 s with small pages, which cost about 0.1 s more user time (bench/README.md,
/// "What was done for the render, 2026-12-02").
pub fn small_pages_only() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and changes only this process's memory
    // policy; a kernel without it returns an error, which leaves things as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// How to start a render worker: a program and its arguments (the `mastery` binary and its
/// hidden `render-worker` command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    /// The program: `mastery` itself.
    pub program: PathBuf,
    /// Its arguments: `render-worker`.
    pub args: Vec<String>,
}

/// The bounds of one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long rendering one document may take.
    pub timeout: Duration,
    /// How much memory the render process may hold, in bytes.
    pub memory: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { timeout: Duration::from_secs(10), memory: 2048 * 1024 * 1024 }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Request {
    /// The template to build, once: each file's path and length, each font's length.
    Template { main: String, files: Vec<(String, u64)>, fonts: Vec<u64> },
    /// A document: the data's length, each attachment's path and length.
    Pdf { ident: String, date: String, data: u64, attachments: Vec<(String, u64)> },
    /// The last document again, with the bytes of the attached file `path` replaced by the
    /// payload ([`super::export_with`]).
    Again { path: String },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Response {
    Ready,
    Pdf,
    Failed { messages: Vec<String> },
}

fn write_frame(output: &mut impl Write, header: &impl Serialize, parts: &[&[u8]]) -> io::Result<()> {
    let header = serde_json::to_vec(header).map_err(io::Error::other)?;
    output.write_all(&(header.len() as u32).to_le_bytes())?;
    output.write_all(&header)?;
    let length: usize = parts.iter().map(|p| p.len()).sum();
    output.write_all(&(length as u64).to_le_bytes())?;
    for part in parts {
        output.write_all(part)?;
    }
    output.flush()
}

/// The next frame, or `None` at the end of the stream.
fn read_frame<T: for<'de> Deserialize<'de>>(input: &mut impl Read) -> io::Result<Option<(T, Vec<u8>)>> {
    let mut length = [0u8; 4];
    match input.read_exact(&mut length) {
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    }
    let mut header = vec![0u8; u32::from_le_bytes(length) as usize];
    input.read_exact(&mut header)?;
    let header = serde_json::from_slice(&header).map_err(io::Error::other)?;
    let mut length = [0u8; 8];
    input.read_exact(&mut length)?;
    let mut payload = Vec::new();
    input.take(u64::from_le_bytes(length)).read_to_end(&mut payload)?;
    Ok(Some((header, payload)))
}

/// Splits a payload into parts of the given lengths.
fn split(payload: &[u8], lengths: impl IntoIterator<Item = u64>) -> io::Result<Vec<Vec<u8>>> {
    let mut rest = payload;
    let mut parts = Vec::new();
    for length in lengths {
        let length = usize::try_from(length).map_err(io::Error::other)?;
        if length > rest.len() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "a frame is shorter than its header says"));
        }
        let (part, tail) = rest.split_at(length);
        parts.push(part.to_vec());
        rest = tail;
    }
    Ok(parts)
}

/// The worker's side: builds the template it is sent, then renders each document it is sent,
/// until its input ends.
pub fn serve(input: impl Read, output: impl Write) -> io::Result<()> {
    let (mut input, mut output) = (BufReader::new(input), BufWriter::new(output));
    let Some((Request::Template { main, files, fonts }, payload)) = read_frame(&mut input)? else {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "a render worker starts with its template"));
    };
    let mut parts = split(&payload, files.iter().map(|(_, length)| *length).chain(fonts.iter().copied()))?;
    let font_bytes = parts.split_off(files.len());
    let files = files.into_iter().zip(parts).map(|((path, _), bytes)| TemplateFile { path, bytes }).collect();
    let template = match Template::with_main(files, font_bytes, &main) {
        Ok(template) => {
            write_frame(&mut output, &Response::Ready, &[])?;
            template
        }
        Err(error) => return write_frame(&mut output, &Response::Failed { messages: error.messages }, &[]),
    };
    // The last document rendered, for a request to export it again.
    let mut kept = None;
    while let Some((request, payload)) = read_frame::<Request>(&mut input)? {
        let (ident, date, data, attachments) = match request {
            Request::Pdf { ident, date, data, attachments } => (ident, date, data, attachments),
            Request::Again { path } => {
                let answer = match &kept {
                    Some(kept) => export_with(kept, &Attachment { path, bytes: payload }),
                    None => Err(RenderError::new("there is no document to export again")),
                };
                match answer {
                    Ok(pdf) => write_frame(&mut output, &Response::Pdf, &[&pdf])?,
                    Err(error) => write_frame(&mut output, &Response::Failed { messages: error.messages }, &[])?,
                }
                continue;
            }
            Request::Template { .. } => {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "a render worker builds one template"));
            }
        };
        let mut parts = split(&payload, std::iter::once(data).chain(attachments.iter().map(|(_, l)| *l)))?;
        let files = parts.split_off(1);
        let job = PdfJob {
            data: parts.pop().unwrap_or_default(),
            ident,
            date,
            attachments: attachments
                .into_iter()
                .zip(files)
                .map(|((path, _), bytes)| Attachment { path, bytes })
                .collect(),
        };
        kept = None;
        match render_pdf_kept(&template, &job) {
            Ok((pdf, document)) => {
                kept = Some(document);
                write_frame(&mut output, &Response::Pdf, &[&pdf])?;
            }
            Err(error) => write_frame(&mut output, &Response::Failed { messages: error.messages }, &[])?,
        }
    }
    Ok(())
}

/// A running worker process.
struct Process {
    child: Child,
    input: BufWriter<ChildStdin>,
    responses: Receiver<io::Result<(Response, Vec<u8>)>>,
    /// The end of what the process wrote on its standard error, for messages.
    errors: Arc<Mutex<Vec<u8>>>,
}

impl Process {
    fn start(command: &WorkerCommand, source: &TemplateSource, limits: &Limits) -> Result<Process, RenderError> {
        let _ = limits;
        let mut child = Command::new(&command.program)
            .args(&command.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                RenderError::new(format!("cannot start a render process ({}): {e}", command.program.display()))
            })?;
        let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let (Some(stdin), Some(stdout), Some(mut stderr)) = (stdin, stdout, stderr) else {
            return Err(RenderError::new("cannot talk to the render process"));
        };
        let (sender, responses) = mpsc::channel();
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            loop {
                match read_frame::<Response>(&mut stdout) {
                    Ok(Some(frame)) => {
                        if sender.send(Ok(frame)).is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(error) => {
                        let _ = sender.send(Err(error));
                        return;
                    }
                }
            }
        });
        let errors = Arc::new(Mutex::new(Vec::new()));
        let tail = Arc::clone(&errors);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(read) = stderr.read(&mut buffer) {
                if read == 0 {
                    return;
                }
                let mut kept = tail.lock().unwrap_or_else(|e| e.into_inner());
                kept.extend_from_slice(&buffer[..read]);
                let excess = kept.len().saturating_sub(8192);
                kept.drain(..excess);
            }
        });
        let mut process = Process { child, input: BufWriter::new(stdin), responses, errors };
        let lengths = source.files.iter().map(|f| (f.path.clone(), f.bytes.len() as u64)).collect();
        let fonts = source.fonts.iter().map(|f| f.len() as u64).collect();
        let parts: Vec<&[u8]> =
            source.files.iter().map(|f| f.bytes.as_slice()).chain(source.fonts.iter().map(Vec::as_slice)).collect();
        let request = Request::Template { main: source.main.clone(), files: lengths, fonts };
        if write_frame(&mut process.input, &request, &parts).is_err() {
            return Err(process.died("while loading the template"));
        }
        // Loading fonts takes a moment; a template that cannot even load fails at once.
        match process.responses.recv_timeout(Duration::from_secs(120)) {
            Ok(Ok((Response::Ready, _))) => Ok(process),
            Ok(Ok((Response::Failed { messages }, _))) => Err(RenderError { messages }),
            _ => Err(process.died("while loading the template")),
        }
    }

    /// Kills the process and says how it ended.
    fn died(&mut self, when: &str) -> RenderError {
        let _ = self.child.kill();
        let status = self.child.wait().ok();
        let errors = String::from_utf8_lossy(&self.errors.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
        let mut message = format!("the render process stopped {when}");
        #[cfg(unix)]
        if let Some(signal) = status.and_then(|s| std::os::unix::process::ExitStatusExt::signal(&s)) {
            message.push_str(&format!(" (killed by signal {signal})"));
        }
        if errors.contains("memory allocation") {
            message.push_str(": the template ran out of memory");
        } else if let Some(last) = errors.lines().rev().find(|l| !l.trim().is_empty()) {
            message.push_str(&format!(": {}", last.trim()));
        }
        RenderError::new(message)
    }

    /// The memory the process holds now, in bytes, when the system says.
    fn resident(&self) -> Option<u64> {
        let statm = std::fs::read_to_string(format!("/proc/{}/statm", self.child.id())).ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        Some(pages * 4096)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Renders documents in a worker process of its own, restarted whenever one fails.
pub struct Supervised {
    command: WorkerCommand,
    source: Arc<TemplateSource>,
    limits: Limits,
    /// The name of the template, for messages.
    name: String,
    process: Option<Process>,
}

impl Supervised {
    /// A supervisor for `template`; the process starts with the first document.
    pub fn new(command: WorkerCommand, template: &Template, limits: Limits, name: &str) -> Supervised {
        Supervised { command, source: Arc::clone(template.source()), limits, name: name.to_string(), process: None }
    }

    /// Renders one document within the limits.
    pub fn render(&mut self, job: &PdfJob) -> Result<Vec<u8>, RenderError> {
        let process = match self.process.take() {
            Some(process) => process,
            None => Process::start(&self.command, &self.source, &self.limits)?,
        };
        let request = Request::Pdf {
            ident: job.ident.clone(),
            date: job.date.clone(),
            data: job.data.len() as u64,
            attachments: job.attachments.iter().map(|a| (a.path.clone(), a.bytes.len() as u64)).collect(),
        };
        let parts: Vec<&[u8]> =
            std::iter::once(job.data.as_slice()).chain(job.attachments.iter().map(|a| a.bytes.as_slice())).collect();
        self.exchange(process, &request, &parts)
    }

    /// Exports the document [`Supervised::render`] made last again, with the bytes of one
    /// attached file replaced ([`super::export_with`]), in the same process.
    pub fn again(&mut self, attachment: &Attachment) -> Result<Vec<u8>, RenderError> {
        let Some(process) = self.process.take() else {
            return Err(RenderError::new(
                "the render process of this document is gone, so it cannot be exported again",
            ));
        };
        let request = Request::Again { path: attachment.path.clone() };
        self.exchange(process, &request, &[&attachment.bytes])
    }

    /// Sends a request to the process and waits for its answer within the limits.
    fn exchange(&mut self, mut process: Process, request: &Request, parts: &[&[u8]]) -> Result<Vec<u8>, RenderError> {
        if write_frame(&mut process.input, request, parts).is_err() {
            return Err(process.died("before the document"));
        }
        let started = Instant::now();
        loop {
            match process.responses.recv_timeout(Duration::from_millis(50)) {
                Ok(Ok((Response::Pdf, pdf))) => {
                    self.process = Some(process);
                    return Ok(pdf);
                }
                Ok(Ok((Response::Failed { messages }, _))) => {
                    self.process = Some(process);
                    return Err(RenderError { messages });
                }
                Ok(Ok((Response::Ready, _))) | Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => {
                    return Err(process.died("in the middle of the document"));
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if started.elapsed() > self.limits.timeout {
                let _ = process.died("");
                return Err(RenderError::new(format!(
                    "{} did not finish this transcript within {} s, so it was stopped; a loop that never ends, or one over far too many items, is the usual cause (raise the limit with --doc-timeout)",
                    self.name,
                    self.limits.timeout.as_secs_f64()
                )));
            }
            if process.resident().is_some_and(|bytes| bytes > self.limits.memory) {
                let _ = process.died("");
                return Err(RenderError::new(format!(
                    "{} used more than {} MB of memory on this transcript, so it was stopped; a list or text built without end is the usual cause (raise the limit with --doc-memory)",
                    self.name,
                    self.limits.memory / (1024 * 1024)
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_a_header_and_parts() {
        let mut wire = Vec::new();
        let request = Request::Pdf {
            ident: "urn:x".into(),
            date: "2026-06-01".into(),
            data: 3,
            attachments: vec![("/l.svg".into(), 2)],
        };
        write_frame(&mut wire, &request, &[b"abc", b"de"]).unwrap();
        let (read, payload): (Request, Vec<u8>) = read_frame(&mut wire.as_slice()).unwrap().unwrap();
        let Request::Pdf { data, attachments, .. } = read else { panic!("{read:?}") };
        assert_eq!(split(&payload, [data, attachments[0].1]).unwrap(), [b"abc".to_vec(), b"de".to_vec()]);
        assert!(read_frame::<Request>(&mut &wire[wire.len()..]).unwrap().is_none());
    }
}
