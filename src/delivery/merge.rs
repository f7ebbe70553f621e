//! One PDF of many students' transcripts, for a destination that takes one file for all
//! (Cialfo): each transcript's pages in turn, with its structure tree kept as a tagged `Part`
//! (in the transcript's own language) so that a screen reader reads the merged file as it
//! reads each transcript, and one bookmark per student.
//!
//! What does not carry over: the attached files (each transcript's data and signed
//! credential stay in its own PDF) and the PAdES signature (a signature covers one file's
//! bytes). The merged file is a reading copy; each student's own PDF is the one that proves
//! itself.

use lopdf::{Dictionary, Document, Object, ObjectId, StringFormat};

/// The keys a page may inherit from the page tree above it (ISO 32000-1, 7.7.3.4).
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];

/// The transcripts (each with the name its bookmark shows), in order, as one PDF.
pub(super) fn merge(pdfs: &[(&str, &[u8])], title: &str) -> Result<Vec<u8>, String> {
    let mut out = Document::with_version("1.7");
    let pages_id = out.new_object_id();
    let tree_id = out.new_object_id();
    let outlines_id = out.new_object_id();
    let mut page_ids: Vec<Object> = Vec::new();
    let mut parts: Vec<Object> = Vec::new();
    let mut parent_tree: Vec<Object> = Vec::new();
    let mut role_map = Dictionary::new();
    let mut bookmarks: Vec<(ObjectId, String, ObjectId)> = Vec::new();
    let mut next_parent_key: i64 = 0;
    let mut language: Option<Object> = None;

    for (name, bytes) in pdfs {
        let mut doc =
            Document::load_mem(bytes).map_err(|e| format!("the transcript of {name} cannot be read ({e})"))?;
        doc.renumber_objects_with(out.max_id + 1);
        let catalog = doc.catalog().map_err(|e| format!("the transcript of {name} has no catalog ({e})"))?.clone();
        let lang = catalog.get(b"Lang").ok().cloned();
        language = language.or_else(|| lang.clone());
        let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
        let first_page = *pages.first().ok_or_else(|| format!("the transcript of {name} has no page"))?;

        // The structure tree: its parent tree's keys moved past those of the transcripts
        // before, its top elements under a Part of their own.
        let offset = next_parent_key;
        let root = catalog
            .get(b"StructTreeRoot")
            .and_then(Object::as_reference)
            .and_then(|id| doc.get_dictionary(id))
            .map_err(|_| format!("the transcript of {name} is not tagged (no structure tree)"))?
            .clone();
        let mut entries = Vec::new();
        if let Ok(tree) = root.get(b"ParentTree") {
            number_tree(&doc, tree, &mut entries, 0)?;
        }
        for (key, value) in entries {
            parent_tree.push(Object::Integer(key + offset));
            parent_tree.push(value);
            next_parent_key = next_parent_key.max(key + offset + 1);
        }
        if let Ok(next) = root.get(b"ParentTreeNextKey").and_then(Object::as_i64) {
            next_parent_key = next_parent_key.max(next + offset);
        }
        if let Ok(map) = root.get(b"RoleMap").and_then(|m| deref(&doc, m)).and_then(Object::as_dict) {
            for (key, value) in map.iter() {
                role_map.set(key.clone(), value.clone());
            }
        }
        let part_id = (doc.max_id + 1, 0);
        doc.max_id += 1;
        let kids = match root.get(b"K") {
            Ok(Object::Array(kids)) => kids.clone(),
            Ok(kid) => vec![kid.clone()],
            Err(_) => Vec::new(),
        };
        for kid in &kids {
            if let Ok(id) = kid.as_reference()
                && let Ok(element) = doc.get_object_mut(id).and_then(Object::as_dict_mut)
            {
                element.set("P", Object::Reference(part_id));
            }
        }
        let mut part = Dictionary::new();
        part.set("Type", Object::Name(b"StructElem".to_vec()));
        part.set("S", Object::Name(b"Part".to_vec()));
        part.set("P", Object::Reference(tree_id));
        part.set("T", text(name));
        if let Some(lang) = lang {
            part.set("Lang", lang);
        }
        part.set("K", Object::Array(kids));
        doc.objects.insert(part_id, Object::Dictionary(part));
        parts.push(Object::Reference(part_id));

        // The pages: each hung from the one page tree, with what it inherited written on it,
        // and its structure keys moved as the parent tree's were.
        for &page in &pages {
            let inherited = inherited(&doc, page);
            let dict = doc.get_object_mut(page).and_then(Object::as_dict_mut).map_err(|e| e.to_string())?;
            for (key, value) in inherited {
                dict.set(key, value);
            }
            dict.set("Parent", Object::Reference(pages_id));
            if let Ok(n) = dict.get(b"StructParents").and_then(Object::as_i64) {
                dict.set("StructParents", Object::Integer(n + offset));
            }
            let annotations: Vec<ObjectId> = match dict.get(b"Annots") {
                Ok(Object::Array(list)) => list.iter().filter_map(|a| a.as_reference().ok()).collect(),
                _ => Vec::new(),
            };
            for annotation in annotations {
                if let Ok(a) = doc.get_object_mut(annotation).and_then(Object::as_dict_mut)
                    && let Ok(n) = a.get(b"StructParent").and_then(Object::as_i64)
                {
                    a.set("StructParent", Object::Integer(n + offset));
                }
            }
            page_ids.push(Object::Reference(page));
        }
        let bookmark = (doc.max_id + 1, 0);
        doc.max_id += 1;
        bookmarks.push((bookmark, name.to_string(), first_page));

        // Everything but the catalog and the old page tree's inner nodes comes along; what
        // nothing reaches any more (the attached files, the old structure root) is pruned.
        let inner: Vec<ObjectId> = doc
            .objects
            .iter()
            .filter(|(_, o)| {
                o.as_dict().ok().and_then(|d| d.get(b"Type").ok()).and_then(|t| t.as_name().ok())
                    == Some(b"Pages".as_slice())
            })
            .map(|(id, _)| *id)
            .collect();
        let catalog_id = doc.trailer.get(b"Root").and_then(Object::as_reference).map_err(|e| e.to_string())?;
        for id in inner.into_iter().chain([catalog_id]) {
            doc.objects.remove(&id);
        }
        out.max_id = doc.max_id;
        out.objects.extend(doc.objects);
    }

    let count = page_ids.len() as i64;
    let mut pages = Dictionary::new();
    pages.set("Type", Object::Name(b"Pages".to_vec()));
    pages.set("Kids", Object::Array(page_ids));
    pages.set("Count", Object::Integer(count));
    out.objects.insert(pages_id, Object::Dictionary(pages));

    let mut tree = Dictionary::new();
    tree.set("Type", Object::Name(b"StructTreeRoot".to_vec()));
    tree.set("K", Object::Array(parts));
    let mut nums = Dictionary::new();
    nums.set("Nums", Object::Array(parent_tree));
    tree.set("ParentTree", Object::Dictionary(nums));
    tree.set("ParentTreeNextKey", Object::Integer(next_parent_key));
    if !role_map.is_empty() {
        tree.set("RoleMap", Object::Dictionary(role_map));
    }
    out.objects.insert(tree_id, Object::Dictionary(tree));

    for (i, (id, name, page)) in bookmarks.iter().enumerate() {
        let mut item = Dictionary::new();
        item.set("Title", text(name));
        item.set("Parent", Object::Reference(outlines_id));
        item.set("Dest", Object::Array(vec![Object::Reference(*page), Object::Name(b"Fit".to_vec())]));
        if i > 0 {
            item.set("Prev", Object::Reference(bookmarks[i - 1].0));
        }
        if let Some(next) = bookmarks.get(i + 1) {
            item.set("Next", Object::Reference(next.0));
        }
        out.objects.insert(*id, Object::Dictionary(item));
    }
    let mut outlines = Dictionary::new();
    outlines.set("Type", Object::Name(b"Outlines".to_vec()));
    if let (Some(first), Some(last)) = (bookmarks.first(), bookmarks.last()) {
        outlines.set("First", Object::Reference(first.0));
        outlines.set("Last", Object::Reference(last.0));
        outlines.set("Count", Object::Integer(bookmarks.len() as i64));
    }
    out.objects.insert(outlines_id, Object::Dictionary(outlines));

    let metadata_id = out.add_object(Object::Stream(lopdf::Stream::new(
        {
            let mut d = Dictionary::new();
            d.set("Type", Object::Name(b"Metadata".to_vec()));
            d.set("Subtype", Object::Name(b"XML".to_vec()));
            d
        },
        xmp(title).into_bytes(),
    )));
    let mut catalog = Dictionary::new();
    catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    catalog.set("Pages", Object::Reference(pages_id));
    catalog.set("StructTreeRoot", Object::Reference(tree_id));
    catalog.set("Outlines", Object::Reference(outlines_id));
    catalog.set("PageMode", Object::Name(b"UseOutlines".to_vec()));
    catalog.set("Metadata", Object::Reference(metadata_id));
    let mut mark = Dictionary::new();
    mark.set("Marked", Object::Boolean(true));
    catalog.set("MarkInfo", Object::Dictionary(mark));
    let mut preferences = Dictionary::new();
    preferences.set("DisplayDocTitle", Object::Boolean(true));
    catalog.set("ViewerPreferences", Object::Dictionary(preferences));
    if let Some(lang) = language {
        catalog.set("Lang", lang);
    }
    let catalog_id = out.add_object(Object::Dictionary(catalog));
    let mut info = Dictionary::new();
    info.set("Title", text(title));
    info.set("Producer", Object::string_literal("mastery"));
    let info_id = out.add_object(Object::Dictionary(info));
    out.trailer.set("Root", Object::Reference(catalog_id));
    out.trailer.set("Info", Object::Reference(info_id));
    out.prune_objects();
    out.compress();
    let mut bytes = Vec::new();
    out.save_to(&mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// Collects the entries of a number tree (its `Nums` and its kids' in turn).
fn number_tree(doc: &Document, node: &Object, entries: &mut Vec<(i64, Object)>, depth: u8) -> Result<(), String> {
    if depth > 32 {
        return Err("the structure's parent tree is deeper than any real one".into());
    }
    let node = deref(doc, node).and_then(Object::as_dict).map_err(|e| e.to_string())?;
    if let Ok(nums) = node.get(b"Nums").and_then(Object::as_array) {
        for pair in nums.chunks_exact(2) {
            let key = pair[0].as_i64().map_err(|e| e.to_string())?;
            entries.push((key, pair[1].clone()));
        }
    }
    if let Ok(kids) = node.get(b"Kids").and_then(Object::as_array) {
        for kid in kids {
            number_tree(doc, kid, entries, depth + 1)?;
        }
    }
    Ok(())
}

/// What a page inherits from the page tree nodes above it and does not set itself.
fn inherited(doc: &Document, page: ObjectId) -> Vec<(Vec<u8>, Object)> {
    let mut found = Vec::new();
    let Ok(dict) = doc.get_dictionary(page) else { return found };
    let mut parent = dict.get(b"Parent").and_then(Object::as_reference).ok();
    let mut depth = 0;
    while let Some(id) = parent
        && depth < 32
    {
        let Ok(node) = doc.get_dictionary(id) else { break };
        for key in INHERITED {
            if !dict.has(key)
                && !found.iter().any(|(k, _): &(Vec<u8>, Object)| k == key)
                && let Ok(value) = node.get(key)
            {
                found.push((key.to_vec(), value.clone()));
            }
        }
        parent = node.get(b"Parent").and_then(Object::as_reference).ok();
        depth += 1;
    }
    found
}

fn deref<'a>(doc: &'a Document, object: &'a Object) -> lopdf::Result<&'a Object> {
    match object {
        Object::Reference(id) => doc.get_object(*id),
        other => Ok(other),
    }
}

/// A PDF text string: UTF-16BE with its byte order mark, which holds any name.
fn text(value: &str) -> Object {
    let mut bytes = vec![0xFE, 0xFF];
    for unit in value.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

/// The XMP metadata of the merged file: its title, and that it follows PDF/UA-1.
fn xmp(title: &str) -> String {
    let title = title.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!(
        r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
<pdfuaid:part>1</pdfuaid:part>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#
    )
}
