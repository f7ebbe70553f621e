//! RDF Dataset Canonicalization (RDFC-1.0, W3C 2024): the one N-Quads text of a dataset,
//! whatever the blank node labels and the order of its statements.
//!
//! Blank nodes get canonical labels (`_:c14n0`, `_:c14n1`, ...) from hashes of the statements
//! they appear in; nodes whose first-degree hashes collide (a credential's identity objects
//! look alike in every nested credential) are told apart by the paths that reach them. That
//! second step can explode on hostile input, so, like the verifiers' own canonicalizer
//! (rdf-canonize, whose default allows as many deep hashings as there are such nodes), a
//! dataset that needs more is refused: a credential we sign must be one they can check.

use std::collections::BTreeMap;

// Fast hashing for the blank node tables: they are looked up, never iterated, so their order
// (and the hasher's seed) cannot reach the output.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use super::rdf::{Quad, Term, nquad};

/// The most permutations of related blank nodes tried before giving up, so that verifying a
/// hostile document cannot run for ever.
const MAX_PERMUTATIONS: usize = 100_000;

/// Why a dataset has no canonical form within the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonError(pub String);

impl std::fmt::Display for CanonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CanonError {}

/// The hash function the algorithm runs on (RDFC-1.0, section 4.1: SHA-256 unless the caller
/// names another).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashAlgorithm {
    /// SHA-256, the default, and what `eddsa-rdfc-2022` uses.
    #[default]
    Sha256,
    /// SHA-384.
    Sha384,
}

impl HashAlgorithm {
    fn hex(self, text: &str) -> String {
        use sha2::Digest;
        match self {
            HashAlgorithm::Sha256 => crate::digest::hex(&sha2::Sha256::digest(text.as_bytes())),
            HashAlgorithm::Sha384 => crate::digest::hex(&sha2::Sha384::digest(text.as_bytes())),
        }
    }
}

/// How the algorithm runs: its hash, and how much work it may do before it refuses a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The hash function.
    pub hash: HashAlgorithm,
    /// The work allowed on blank nodes that look alike (RDFC-1.0, section 4.4.2 and the
    /// "poison graphs" of its security section): with `n` blank nodes whose first-degree hashes
    /// are shared, at most `n` to this power hashings of N-degree. 1, the default, is the limit
    /// the verifiers apply (Digital Bazaar's rdf-canonize, `maxWorkFactor`), so that what we
    /// sign they can check; 0 allows none.
    pub work_factor: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options { hash: HashAlgorithm::Sha256, work_factor: 1 }
    }
}

/// A dataset in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    /// The canonical N-Quads: one line per distinct statement, sorted.
    pub nquads: String,
    /// The issued identifiers map (section 4.4.3): each blank node's label in the input, and
    /// its canonical label (`c14n0`, ...).
    pub labels: BTreeMap<String, String>,
}

/// The canonical N-Quads of a dataset, with SHA-256 and the verifiers' limits.
pub fn canonical_nquads(quads: &[Quad]) -> Result<String, CanonError> {
    canonicalize(quads, Options::default()).map(|canonical| canonical.nquads)
}

/// The canonicalization algorithm (RDFC-1.0, section 4.4). A dataset is a set: a statement
/// given twice counts once.
pub fn canonicalize(quads: &[Quad], options: Options) -> Result<Canonical, CanonError> {
    let mut state = State::new(quads, options);
    state.label()?;
    let mut lines: Vec<String> = state
        .quads
        .iter()
        .map(|quad| {
            nquad(quad, &|label: &str| format!("_:{}", state.canonical.get(state.index[label]).unwrap_or_default()))
        })
        .collect();
    lines.sort_unstable();
    lines.dedup();
    let labels = state
        .labels
        .iter()
        .enumerate()
        .map(|(node, label)| (label.to_string(), state.canonical.get(node).unwrap_or_default()))
        .collect();
    Ok(Canonical { nquads: lines.concat(), labels })
}

/// Issues identifiers (`prefix` and a counter) in order of first request.
#[derive(Clone)]
struct Issuer {
    prefix: &'static str,
    issued: HashMap<usize, usize>,
    order: Vec<usize>,
}

impl Issuer {
    fn new(prefix: &'static str) -> Issuer {
        Issuer { prefix, issued: HashMap::new(), order: Vec::new() }
    }

    fn issue(&mut self, node: usize) -> String {
        let next = self.order.len();
        let number = *self.issued.entry(node).or_insert_with(|| {
            self.order.push(node);
            next
        });
        format!("{}{number}", self.prefix)
    }

    fn get(&self, node: usize) -> Option<String> {
        self.issued.get(&node).map(|n| format!("{}{n}", self.prefix))
    }

    fn has(&self, node: usize) -> bool {
        self.issued.contains_key(&node)
    }
}

struct State<'a> {
    /// The distinct statements, in the order first given.
    quads: Vec<&'a Quad>,
    hash: HashAlgorithm,
    /// Blank node labels by number, and numbers by label.
    labels: Vec<&'a str>,
    index: HashMap<&'a str, usize>,
    /// For each blank node, the statements it appears in.
    mentions: Vec<Vec<usize>>,
    first_degree: Vec<String>,
    canonical: Issuer,
    work_factor: u32,
    deep_left: usize,
    permutations_left: usize,
}

impl<'a> State<'a> {
    fn new(given: &'a [Quad], options: Options) -> State<'a> {
        // JSON-LD's reader gives its statements sorted and once each: checking that costs a
        // comparison per pair, where hashing every statement cost 2 % of a verify.
        let quads: Vec<&Quad> = if given.windows(2).all(|pair| pair[0] < pair[1]) {
            given.iter().collect()
        } else {
            let mut seen = HashSet::with_capacity(given.len());
            given.iter().filter(|quad| seen.insert(*quad)).collect()
        };
        let mut labels = Vec::new();
        let mut index = HashMap::new();
        let mut mentions: Vec<Vec<usize>> = Vec::new();
        for (i, quad) in quads.iter().enumerate() {
            for component in [Some(&quad.subject), Some(&quad.object), quad.graph.as_ref()].into_iter().flatten() {
                if let Term::Blank(label) = component {
                    let node = *index.entry(label.as_str()).or_insert_with(|| {
                        labels.push(label.as_str());
                        mentions.push(Vec::new());
                        labels.len() - 1
                    });
                    if mentions[node].last() != Some(&i) {
                        mentions[node].push(i);
                    }
                }
            }
        }
        State {
            quads,
            hash: options.hash,
            labels,
            index,
            mentions,
            first_degree: Vec::new(),
            canonical: Issuer::new("c14n"),
            work_factor: options.work_factor,
            deep_left: 0,
            permutations_left: MAX_PERMUTATIONS,
        }
    }

    fn node(&self, term: &Term) -> Option<usize> {
        match term {
            Term::Blank(label) => self.index.get(label.as_str()).copied(),
            _ => None,
        }
    }

    /// Issues every blank node its canonical label.
    fn label(&mut self) -> Result<(), CanonError> {
        self.first_degree = (0..self.labels.len()).map(|node| self.hash_first_degree(node)).collect();
        let mut by_hash: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (node, hash) in self.first_degree.iter().enumerate() {
            by_hash.entry(hash.as_str()).or_default().push(node);
        }
        let mut shared = Vec::new();
        for nodes in by_hash.into_values() {
            match nodes.as_slice() {
                [node] => {
                    self.canonical.issue(*node);
                }
                _ => shared.push(nodes),
            }
        }
        let alike: usize = shared.iter().map(Vec::len).sum();
        self.deep_left = match self.work_factor {
            0 => 0,
            power => alike.checked_pow(power).unwrap_or(usize::MAX),
        };
        for nodes in shared {
            let mut results = Vec::new();
            for node in nodes {
                if self.canonical.has(node) {
                    continue;
                }
                let mut issuer = Issuer::new("b");
                issuer.issue(node);
                results.push(self.hash_n_degree(node, issuer)?);
            }
            results.sort_by(|a, b| a.0.cmp(&b.0));
            for (_, issuer) in results {
                for node in issuer.order {
                    self.canonical.issue(node);
                }
            }
        }
        Ok(())
    }

    fn hash_first_degree(&self, node: usize) -> String {
        let label = self.labels[node];
        let mut lines: Vec<String> = self.mentions[node]
            .iter()
            .map(|&i| nquad(self.quads[i], &|other: &str| if other == label { "_:a".into() } else { "_:z".into() }))
            .collect();
        lines.sort_unstable();
        self.hash.hex(&lines.concat())
    }

    fn hash_related(&self, related: usize, quad: &Quad, issuer: &Issuer, position: char) -> String {
        let mut input = String::new();
        input.push(position);
        if position != 'g' {
            input.push('<');
            input.push_str(&quad.predicate);
            input.push('>');
        }
        match self.canonical.get(related).or_else(|| issuer.get(related)) {
            Some(id) => {
                input.push_str("_:");
                input.push_str(&id);
            }
            None => input.push_str(&self.first_degree[related]),
        }
        self.hash.hex(&input)
    }

    fn hash_n_degree(&mut self, node: usize, mut issuer: Issuer) -> Result<(String, Issuer), CanonError> {
        if self.deep_left == 0 {
            return Err(CanonError(
                "the credential's blank nodes are too alike to put in canonical order within the limit verifiers apply"
                    .to_string(),
            ));
        }
        self.deep_left -= 1;
        let mut related: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &i in &self.mentions[node] {
            let quad = self.quads[i];
            for (component, position) in
                [(Some(&quad.subject), 's'), (Some(&quad.object), 'o'), (quad.graph.as_ref(), 'g')]
            {
                if let Some(other) = component.and_then(|t| self.node(t))
                    && other != node
                {
                    let hash = self.hash_related(other, quad, &issuer, position);
                    let list = related.entry(hash).or_default();
                    if !list.contains(&other) {
                        list.push(other);
                    }
                }
            }
        }
        let mut data = String::new();
        for (hash, nodes) in related {
            data.push_str(&hash);
            let mut chosen_path = String::new();
            let mut chosen_issuer = None;
            for permutation in permutations(&nodes) {
                if self.permutations_left == 0 {
                    return Err(CanonError(
                        "the credential's blank nodes have too many symmetries to canonicalize".into(),
                    ));
                }
                self.permutations_left -= 1;
                let mut copy = issuer.clone();
                let mut path = String::new();
                let mut recursion = Vec::new();
                let mut skip = false;
                for &other in &permutation {
                    match self.canonical.get(other) {
                        Some(id) => {
                            path.push_str("_:");
                            path.push_str(&id);
                        }
                        None => {
                            if !copy.has(other) {
                                recursion.push(other);
                            }
                            path.push_str("_:");
                            path.push_str(&copy.issue(other));
                        }
                    }
                    if !chosen_path.is_empty() && path > chosen_path {
                        skip = true;
                        break;
                    }
                }
                if skip {
                    continue;
                }
                for other in recursion {
                    let (result, next) = self.hash_n_degree(other, copy.clone())?;
                    copy = next;
                    path.push_str("_:");
                    path.push_str(&copy.issue(other));
                    path.push('<');
                    path.push_str(&result);
                    path.push('>');
                    if !chosen_path.is_empty() && path > chosen_path {
                        skip = true;
                        break;
                    }
                }
                if skip {
                    continue;
                }
                if chosen_path.is_empty() || path < chosen_path {
                    chosen_path = path;
                    chosen_issuer = Some(copy);
                }
            }
            data.push_str(&chosen_path);
            if let Some(chosen) = chosen_issuer {
                issuer = chosen;
            }
        }
        Ok((self.hash.hex(&data), issuer))
    }
}

/// Every ordering of `items` (Heap's algorithm).
fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
    let mut items = items.to_vec();
    let mut out = vec![items.clone()];
    let mut counters = vec![0; items.len()];
    let mut i = 1;
    while i < items.len() {
        if counters[i] < i {
            if i % 2 == 0 {
                items.swap(0, i);
            } else {
                items.swap(counters[i], i);
            }
            out.push(items.clone());
            counters[i] += 1;
            i = 1;
        } else {
            counters[i] = 0;
            i += 1;
        }
        if out.len() > MAX_PERMUTATIONS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::rdf::XSD_STRING;

    fn blank(label: &str) -> Term {
        Term::Blank(label.to_string())
    }

    fn iri(value: &str) -> Term {
        Term::Iri(value.to_string())
    }

    fn quad(subject: Term, predicate: &str, object: Term) -> Quad {
        Quad { subject, predicate: predicate.to_string(), object, graph: None }
    }

    #[test]
    fn labels_do_not_change_the_canonical_form() {
        let make = |a: &str, b: &str| {
            vec![
                quad(iri("urn:x"), "urn:p", blank(a)),
                quad(iri("urn:y"), "urn:p", blank(b)),
                quad(blank(a), "urn:q", blank(b)),
                quad(blank(b), "urn:q", blank(a)),
            ]
        };
        let one = canonical_nquads(&make("n1", "n2")).unwrap();
        let two = canonical_nquads(&make("zz", "aa")).unwrap();
        assert_eq!(one, two);
        assert!(one.contains("_:c14n0") && one.contains("_:c14n1"), "{one}");
    }

    #[test]
    fn alike_nodes_are_told_apart_by_what_reaches_them() {
        // Two subjects with identical content, reached from different credentials.
        let quads = vec![
            quad(iri("urn:cred:1"), "urn:subject", blank("s1")),
            quad(iri("urn:cred:2"), "urn:subject", blank("s2")),
            quad(blank("s1"), "urn:id", blank("i1")),
            quad(blank("s2"), "urn:id", blank("i2")),
            quad(
                blank("i1"),
                "urn:name",
                Term::Literal { value: "Zoë".into(), datatype: XSD_STRING.into(), language: None },
            ),
            quad(
                blank("i2"),
                "urn:name",
                Term::Literal { value: "Zoë".into(), datatype: XSD_STRING.into(), language: None },
            ),
        ];
        let mut reversed = quads.clone();
        reversed.reverse();
        assert_eq!(canonical_nquads(&quads).unwrap(), canonical_nquads(&reversed).unwrap());
    }

    #[test]
    fn every_permutation_is_listed_once() {
        let all = permutations(&[1, 2, 3, 4]);
        assert_eq!(all.len(), 24);
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 24);
    }
}
