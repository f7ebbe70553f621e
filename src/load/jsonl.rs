//! JSON Lines: one student per line, read as a stream, so a file of any length is read with
//! the memory of one record.

use std::io::{self, BufRead, Read};
use std::path::Path;

use super::json::parse_json;
use super::{MAX_RECORD_BYTES, Record, Rejected, too_large, with_path};

/// Reads the records of a JSON Lines text from `reader` and hands each to `each`, in order.
/// `path` names the file in messages; a line longer than [`MAX_RECORD_BYTES`] is refused
/// without ever being held whole.
pub fn read_json_lines(path: &Path, mut reader: impl BufRead, each: &mut impl FnMut(Record)) -> io::Result<()> {
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        number += 1;
        line.clear();
        // Read at most one byte past the limit.
        let read =
            (&mut reader).take(MAX_RECORD_BYTES + 1).read_until(b'\n', &mut line).map_err(|e| with_path(e, path))?;
        if read == 0 {
            return Ok(());
        }
        if line.len() as u64 > MAX_RECORD_BYTES {
            each(Err(Rejected::of(too_large(path, Some(number)))));
            if !line.ends_with(b"\n") {
                reader.skip_until(b'\n').map_err(|e| with_path(e, path))?;
            }
            continue;
        }
        if number == 1 && line.starts_with(b"\xef\xbb\xbf") {
            line.drain(..3);
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // The line end is not part of the record: a record cut short ends on its own line.
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        // The next record is likely as long as this one: start its buffer at that size.
        let capacity = line.len();
        let bytes = std::mem::replace(&mut line, Vec::with_capacity(capacity));
        each(parse_json(path, bytes, number).map_err(Rejected::unknown));
    }
}
