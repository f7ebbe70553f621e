//! What `mastery verify` reads of a PDF: the files attached to it (its embedded files: the
//! signed credential and the data an issued transcript carries), and the digest of what its
//! pages show, which the credential binds.

use std::collections::{HashMap, VecDeque};

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use sha2::{Digest, Sha256};

/// What `verify` reads of a PDF.
pub struct Contents {
    /// Every embedded file, by its file name, in the order the PDF lists them.
    pub attachments: Vec<(String, Vec<u8>)>,
    /// The digest of its pages ([`pages_digest`]).
    pub pages: [u8; 32],
}

/// Reads a PDF once for `verify`: its embedded files and the digest of its pages.
pub fn contents(bytes: &[u8]) -> Result<Contents, String> {
    let document = parse(bytes)?;
    Ok(Contents { attachments: attachments_of(&document)?, pages: digest_of(&document)? })
}

/// What a pack reads of an issued PDF: the embedded file called `name`, if there is one, and
/// whether the file is encrypted (a portal refuses an encrypted PDF).
pub fn attachment(bytes: &[u8], name: &str) -> Result<(Option<Vec<u8>>, bool), String> {
    let document = parse(bytes)?;
    let encrypted = document.trailer.has(b"Encrypt");
    let file = attachments_of(&document)?.into_iter().find(|(n, _)| n == name).map(|(_, bytes)| bytes);
    Ok((file, encrypted))
}

fn parse(bytes: &[u8]) -> Result<Document, String> {
    Document::load_mem(bytes).map_err(|e| format!("not a PDF that can be read ({e})"))
}

fn attachments_of(document: &Document) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut files = Vec::new();
    for object in document.objects.values() {
        let Object::Dictionary(dictionary) = object else { continue };
        if dictionary.get(b"Type").and_then(Object::as_name).ok() != Some(b"Filespec".as_slice()) {
            continue;
        }
        let name = dictionary.get(b"UF").or_else(|_| dictionary.get(b"F")).and_then(Object::as_str).map(text_string);
        let stream = dictionary
            .get(b"EF")
            .and_then(Object::as_dict)
            .and_then(|ef| ef.get(b"F"))
            .and_then(Object::as_reference)
            .and_then(|id| document.get_object(id))
            .and_then(Object::as_stream);
        let (Ok(name), Ok(stream)) = (name, stream) else { continue };
        let content = if stream.dict.has(b"Filter") {
            stream.decompressed_content().map_err(|e| format!("the attached file {name} cannot be read ({e})"))?
        } else {
            stream.content.clone()
        };
        files.push((name, content));
    }
    Ok(files)
}

/// A PDF text string: UTF-16 with its byte order mark, or PDFDocEncoding (read as Latin-1,
/// which it equals for the names `mastery` writes).
fn text_string(bytes: &[u8]) -> String {
    match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => {
            let units: Vec<u16> = utf16.chunks_exact(2).map(|pair| u16::from_be_bytes([pair[0], pair[1]])).collect();
            String::from_utf16_lossy(&units)
        }
        None => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The SHA-256 of what a PDF shows, whatever is attached to it (mastery's page digest,
/// version 1): everything the document catalog reaches (the pages with their content, fonts,
/// images and annotations, the structure tree that assistive technology reads, the metadata)
/// but the attached files (the catalog's `/Names /EmbeddedFiles` and every `/AF`) and the XMP
/// metadata's instance ids (which typst derives from the whole file, attachments included), in a form
/// that does not depend on how the file is written: objects numbered in the order they are
/// first reached, dictionary keys sorted, streams decompressed, content streams read into
/// their operators and operands, strings as their bytes. So a PDF rewritten without a change
/// (by `qpdf --qdf`, say) keeps its digest, and one changed glyph of a page changes it.
///
/// An issued transcript's credential binds this digest, taken before the credential was
/// attached (it cannot hold its own digest); attaching it leaves the digest as it was.
pub fn pages_digest(bytes: &[u8]) -> Result<[u8; 32], String> {
    digest_of(&parse(bytes)?)
}

fn digest_of(document: &Document) -> Result<[u8; 32], String> {
    let root = document.trailer.get(b"Root").and_then(Object::as_reference).map_err(|_| "the PDF has no catalog")?;
    let mut canon = Canon { order: HashMap::new(), queue: VecDeque::new(), hasher: Sha256::new() };
    canon.hasher.update(b"mastery page digest 1\n");
    canon.reference(root, Role::Catalog);
    while let Some((id, role)) = canon.queue.pop_front() {
        let object = document.get_object(id).map_err(|e| format!("the PDF's object {id:?} cannot be read ({e})"))?;
        canon.object(object, role);
    }
    Ok(canon.hasher.finalize().into())
}

/// Where an object is reached from, for what is left out and how a stream is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The document catalog: its `/Names` are read as [`Role::Names`].
    Catalog,
    /// The catalog's name dictionary: its `/EmbeddedFiles` are left out.
    Names,
    /// A page's `/Contents`: content streams.
    Contents,
    /// Anything else.
    Other,
}

/// The canonical form of the objects a PDF reaches, fed to a hash.
struct Canon {
    /// Each object reached, by the order it was first reached in.
    order: HashMap<ObjectId, u64>,
    /// Objects reached and not yet written.
    queue: VecDeque<(ObjectId, Role)>,
    hasher: Sha256,
}

impl Canon {
    fn bytes(&mut self, tag: u8, bytes: &[u8]) {
        self.hasher.update([tag]);
        self.hasher.update((bytes.len() as u64).to_le_bytes());
        self.hasher.update(bytes);
    }

    fn reference(&mut self, id: ObjectId, role: Role) {
        let next = self.order.len() as u64;
        let number = *self.order.entry(id).or_insert_with(|| {
            self.queue.push_back((id, role));
            next
        });
        self.hasher.update([b'R']);
        self.hasher.update(number.to_le_bytes());
    }

    fn object(&mut self, object: &Object, role: Role) {
        match object {
            Object::Null => self.hasher.update(b"n"),
            Object::Boolean(value) => self.hasher.update(if *value { b"t" } else { b"f" }),
            Object::Integer(value) => {
                self.hasher.update(b"i");
                self.hasher.update(value.to_le_bytes());
            }
            Object::Real(value) => {
                self.hasher.update(b"r");
                self.hasher.update(value.to_bits().to_le_bytes());
            }
            Object::Name(name) => self.bytes(b'/', name),
            Object::String(bytes, _) => self.bytes(b'(', bytes),
            Object::Array(items) => {
                self.hasher.update(b"[");
                self.hasher.update((items.len() as u64).to_le_bytes());
                for item in items {
                    self.object(item, if role == Role::Contents { Role::Contents } else { Role::Other });
                }
            }
            Object::Dictionary(dictionary) => self.dictionary(dictionary, role, &[]),
            Object::Stream(stream) => self.stream(stream, role),
            Object::Reference(id) => self.reference(*id, role),
        }
    }

    fn dictionary(&mut self, dictionary: &Dictionary, role: Role, also_left_out: &[&[u8]]) {
        let mut entries: Vec<(&Vec<u8>, &Object)> = dictionary
            .iter()
            .filter(|(key, _)| {
                let key = key.as_slice();
                // Left out: the attached files, and the PAdES signature's field and
                // permissions, added after the digest is taken (they show nothing).
                let left_out = key == b"AF"
                    || (role == Role::Names && key == b"EmbeddedFiles")
                    || (role == Role::Catalog && matches!(key, b"AcroForm" | b"Perms"))
                    || also_left_out.contains(&key);
                !left_out
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        self.hasher.update(b"<");
        self.hasher.update((entries.len() as u64).to_le_bytes());
        for (key, value) in entries {
            self.bytes(b'/', key);
            let role = match (role, key.as_slice()) {
                (Role::Catalog, b"Names") => Role::Names,
                (_, b"Contents") if dictionary.get(b"Type").and_then(Object::as_name).ok() == Some(b"Page") => {
                    Role::Contents
                }
                _ => Role::Other,
            };
            self.object(value, role);
        }
    }

    fn stream(&mut self, stream: &Stream, role: Role) {
        let form = stream.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Form".as_slice());
        let decoded =
            if stream.dict.has(b"Filter") { stream.decompressed_content().ok() } else { Some(stream.content.clone()) };
        let Some(content) = decoded else {
            // A filter that is not undone here (an image's DCTDecode): the stream as stored.
            self.hasher.update(b"S");
            self.dictionary(&stream.dict, Role::Other, &[b"Length"]);
            self.bytes(b'D', &stream.content);
            return;
        };
        self.hasher.update(b"S");
        self.dictionary(&stream.dict, Role::Other, &[b"Length", b"Filter", b"DecodeParms"]);
        if stream.dict.get(b"Type").and_then(Object::as_name).ok() == Some(b"Metadata".as_slice()) {
            return self.bytes(b'D', &without_instance_ids(&content));
        }
        let operations = (role == Role::Contents || form).then(|| Content::decode(&content).ok()).flatten();
        match operations {
            Some(Content { operations }) => {
                self.hasher.update(b"O");
                self.hasher.update((operations.len() as u64).to_le_bytes());
                for operation in operations {
                    self.bytes(b'o', operation.operator.as_bytes());
                    self.object(&Object::Array(operation.operands), Role::Other);
                }
            }
            None => self.bytes(b'D', &content),
        }
    }
}

/// XMP metadata without the values of its instance ids (`xmpMM:InstanceID`, and the
/// `stEvt:instanceID` of each history event).
fn without_instance_ids(xmp: &[u8]) -> Vec<u8> {
    let mut out = xmp.to_vec();
    for tag in [&b"xmpMM:InstanceID"[..], b"stEvt:instanceID"] {
        let open = [b"<", tag, b">"].concat();
        let close = [b"</", tag, b">"].concat();
        let mut kept = Vec::with_capacity(out.len());
        let mut rest = out.as_slice();
        while let Some(start) = memchr::memmem::find(rest, &open) {
            let value = start + open.len();
            let Some(end) = memchr::memmem::find(&rest[value..], &close) else { break };
            kept.extend_from_slice(&rest[..value]);
            rest = &rest[value + end..];
        }
        kept.extend_from_slice(rest);
        out = kept;
    }
    out
}
