//! Right-to-left ligatures as text extractors read them back.
//!
//! A glyph that stands for several letters (a ligature: lam with alef, lam with alef maksura)
//! is written into the PDF with its letters, in reading order, in the font's map from glyphs
//! to text (`ToUnicode`). The extractors people copy names with (poppler's pdftotext, MuPDF)
//! read a right-to-left run glyph by glyph from the left, then turn the letters around to
//! reading order: a ligature's letters are turned around with the rest, so "ليلى" comes back
//! as "ليىل" and "علاء" as "عالء". Measured with both, on typst's output.
//!
//! So, before a document is written, the letters of each such glyph are put in the order the
//! extractors turn back into reading order. The page looks the same (the glyphs and where
//! they stand do not change), and both extractors give the name exactly as it was typed.

use typst::layout::{Frame, FrameItem};
use typst::model::Document;
use typst::text::TextItem;
use typst_layout::PagedDocument;

/// Whether a character belongs to a right-to-left script's letters or marks (Hebrew, Arabic,
/// Syriac, Thaana, N'Ko and their presentation forms).
fn right_to_left(c: char) -> bool {
    matches!(c, '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// The byte ranges of the item's glyphs that stand for several right-to-left characters, each
/// once (glyphs of one cluster share its range).
fn ligatures(item: &TextItem) -> Vec<std::ops::Range<usize>> {
    let mut ranges: Vec<std::ops::Range<usize>> = item
        .glyphs
        .iter()
        .map(|glyph| glyph.range())
        .filter(|range| {
            let letters = &item.text[range.clone()];
            letters.chars().nth(1).is_some() && letters.chars().all(right_to_left)
        })
        .collect();
    ranges.dedup();
    ranges
}

fn has_ligatures(frame: &Frame) -> bool {
    frame.items().any(|(_, item)| match item {
        FrameItem::Group(group) => has_ligatures(&group.frame),
        FrameItem::Text(text) => !ligatures(text).is_empty(),
        _ => false,
    })
}

fn turn_ligatures(frame: &mut Frame) {
    frame.retain(|item| {
        match item {
            FrameItem::Group(group) => turn_ligatures(&mut group.frame),
            FrameItem::Text(text) => {
                let ranges = ligatures(text);
                if !ranges.is_empty() {
                    let mut letters = text.text.to_string();
                    for range in ranges {
                        let turned: String = letters[range.clone()].chars().rev().collect();
                        letters.replace_range(range, &turned);
                    }
                    text.text = letters.into();
                }
            }
            _ => {}
        }
        true
    });
}

/// The document with the letters of its right-to-left ligatures in the order extractors
/// read them back; the document itself when it has none (the usual case, at the cost of one
/// walk over its frames).
pub fn for_extractors(document: PagedDocument) -> PagedDocument {
    if !document.pages().iter().any(|page| has_ligatures(&page.frame)) {
        return document;
    }
    let mut pages = document.pages().to_vec();
    for page in &mut pages {
        turn_ligatures(&mut page.frame);
    }
    PagedDocument::new(pages.into_iter().collect(), document.info().clone())
}
