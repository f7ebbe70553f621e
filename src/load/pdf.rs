//! The files attached to a PDF (its embedded files), read from its bytes: how `mastery verify`
//! finds the signed credential and the data an issued transcript carries.

use lopdf::{Document, Object};

/// Every embedded file of a PDF, by its file name, in the order the PDF lists them.
pub fn attachments(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let document = Document::load_mem(bytes).map_err(|e| format!("not a PDF that can be read ({e})"))?;
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
