//! A JSON record read once into flat lists that borrow its strings from the record's text.
//!
//! A `serde_json::Value` costs an allocation for every string and key and a hash for every key
//! (its objects keep their order in an index map), and most of that is thrown away again: the
//! schema check and the typed reading only look. A [`Tape`] holds the same record as items in
//! one list (each container's members in a second), with every string that has no escapes kept
//! as a range of the text. The schema check walks it (it is a [`jsonschema`] representation,
//! [`Borrowed`]) and the model is deserialized from it ([`Node`] is a serde deserializer); the
//! `Value` is built from it only when something asks for one.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use jsonschema::json::{Array, Json, NodeIdentity, Object};
use jsonschema::types::JsonType;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde_json::{Map, Number, Value};

mod scan;

/// How the message of [`Tape::parse`]'s error starts for a key that appears twice in an object.
pub const DUPLICATE: &str = "duplicate key";

/// A record read from its text. The text is kept beside it, by the [`Document`](super::Document)
/// that holds both, since its strings are ranges of that text.
///
/// Places are 32-bit: a record is at most [`crate::load::MAX_RECORD_BYTES`] long, and
/// [`Tape::parse`] refuses a text of 4 GiB or more. A value then takes 28 bytes (its item and
/// its place among its container's members); a `serde_json::Value` takes 72, before its strings
/// and each object's hash index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tape {
    items: Vec<Item>,
    /// The members of every array and object, each container's in one run.
    members: Vec<Member>,
    /// The numbers, apart, so that an item is small.
    numbers: Vec<Number>,
    /// The strings and names that had escapes, decoded.
    decoded: Vec<String>,
    root: u32,
}

/// A string of the record: a range of its text, or one of the decoded strings.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Text {
    Range(u32, u32),
    Decoded(u32),
}

impl Text {
    /// The string, in the record's `text` or among the tape's `decoded` strings.
    fn of<'a>(self, text: &'a str, decoded: &'a [String]) -> &'a str {
        match self {
            Text::Range(start, end) => &text[start as usize..end as usize],
            Text::Decoded(index) => &decoded[index as usize],
        }
    }

    /// Its length in bytes, found without reading the string.
    fn len(self, decoded: &[String]) -> usize {
        match self {
            Text::Range(start, end) => (end - start) as usize,
            Text::Decoded(index) => decoded[index as usize].len(),
        }
    }
}

/// A member of a container: its name (empty in an array) and its item.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Member {
    name: Text,
    item: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Item {
    Null,
    Bool(bool),
    Number(u32),
    String(Text),
    Array { first: u32, len: u32 },
    Object { first: u32, len: u32 },
}

impl Tape {
    /// Reads `text` as serde_json's own reader does, so a syntax error, a repeated key
    /// ([`DUPLICATE`]) or text after the value is refused with the message and place the reader
    /// gives for a `Value`. A record is read by the quick reader ([`scan`]) when it can; only
    /// what that declines is read again by serde_json.
    pub fn parse(text: &str) -> Result<Tape, serde_json::Error> {
        if u32::try_from(text.len()).is_err() {
            return Err(de::Error::custom("the record is 4 GiB or longer"));
        }
        match scan::read(text) {
            Some(tape) => Ok(tape),
            None => Tape::parse_with_serde_json(text),
        }
    }

    /// Reads `text`, less than 4 GiB long, with serde_json's deserializer through a seed.
    fn parse_with_serde_json(text: &str) -> Result<Tape, serde_json::Error> {
        let mut builder = Builder::new(text);
        let mut reader = serde_json::Deserializer::from_str(text);
        let root = ItemSeed(&mut builder).deserialize(&mut reader)?;
        reader.end()?;
        builder.tape.root = root;
        Ok(builder.tape)
    }

    /// The record's top value, over the `text` it was read from (and no other).
    pub(crate) fn root<'a>(&'a self, text: &'a str) -> Node<'a> {
        Node { tape: self, text, index: self.root as usize }
    }
}

/// One value of a [`Tape`]: a place in it and the text its strings point into.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    tape: &'a Tape,
    text: &'a str,
    index: usize,
}

impl<'a> Node<'a> {
    fn item(&self) -> &'a Item {
        &self.tape.items[self.index]
    }

    fn resolve(&self, text: Text) -> &'a str {
        text.of(self.text, &self.tape.decoded)
    }

    fn at(&self, index: usize) -> Node<'a> {
        Node { index, ..*self }
    }

    fn members(&self, first: u32, len: u32) -> MemberIter<'a> {
        let first = first as usize;
        MemberIter { node: *self, members: self.tape.members[first..first + len as usize].iter() }
    }

    fn number(&self, index: u32) -> &'a Number {
        &self.tape.numbers[index as usize]
    }

    /// The string value, if this is one.
    pub fn as_str(&self) -> Option<&'a str> {
        match self.item() {
            Item::String(text) => Some(self.resolve(*text)),
            _ => None,
        }
    }

    /// The member `name` of this object.
    pub fn get(&self, name: &str) -> Option<Node<'a>> {
        match self.item() {
            Item::Object { first, len } => {
                self.members(*first, *len).find(|(key, _)| *key == name).map(|(_, node)| node)
            }
            _ => None,
        }
    }

    /// The same value as a `serde_json::Value`, members in the order of the text: the value
    /// serde_json reads from the same text.
    pub fn to_value(&self) -> Value {
        match self.item() {
            Item::Null => Value::Null,
            Item::Bool(value) => Value::Bool(*value),
            Item::Number(number) => Value::Number(self.number(*number).clone()),
            Item::String(text) => Value::String(self.resolve(*text).to_owned()),
            Item::Array { first, len } => {
                Value::Array(self.members(*first, *len).map(|(_, node)| node.to_value()).collect())
            }
            Item::Object { first, len } => {
                let mut map = Map::with_capacity(*len as usize);
                for (name, node) in self.members(*first, *len) {
                    map.insert(name.to_owned(), node.to_value());
                }
                Value::Object(map)
            }
        }
    }
}

/// The members of a container, each with its name (empty in an array).
pub struct MemberIter<'a> {
    node: Node<'a>,
    members: std::slice::Iter<'a, Member>,
}

impl<'a> Iterator for MemberIter<'a> {
    type Item = (&'a str, Node<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.members.next().map(|member| (self.node.resolve(member.name), self.node.at(member.item as usize)))
    }
}

/// What builds a tape: the text, the lists so far, and the members of the containers still open.
struct Builder<'t> {
    text: &'t str,
    tape: Tape,
    pending: Vec<Member>,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Builder<'t> {
        // A record has about one value per 17 bytes (generated records, written compactly):
        // room for that many from the start saves growing the lists a dozen times.
        let room = (text.len() / 16).min(1 << 16);
        let tape = Tape { items: Vec::with_capacity(room), members: Vec::with_capacity(room), ..Tape::default() };
        Builder { text, tape, pending: Vec::with_capacity(64) }
    }

    // Every count below is at most the text's length in bytes, which `Tape::parse` keeps
    // under 4 GiB, so each fits in 32 bits.

    fn push(&mut self, item: Item) -> u32 {
        self.tape.items.push(item);
        (self.tape.items.len() - 1) as u32
    }

    fn push_number(&mut self, number: Number) -> u32 {
        self.tape.numbers.push(number);
        let index = (self.tape.numbers.len() - 1) as u32;
        self.push(Item::Number(index))
    }

    /// A string the reader lent from the text is kept as its range; any other is decoded.
    fn text(&mut self, borrowed: Option<&str>, value: &str) -> Text {
        let base = self.text.as_ptr() as usize;
        if let Some(part) = borrowed {
            let start = (part.as_ptr() as usize).wrapping_sub(base);
            if start <= self.text.len() && part.len() <= self.text.len() - start {
                return Text::Range(start as u32, (start + part.len()) as u32);
            }
        }
        self.keep(value.to_owned())
    }

    /// Keeps a decoded string among the tape's own.
    fn keep(&mut self, decoded: String) -> Text {
        self.tape.decoded.push(decoded);
        Text::Decoded((self.tape.decoded.len() - 1) as u32)
    }

    fn resolve(&self, text: Text) -> &str {
        text.of(self.text, &self.tape.decoded)
    }

    /// Moves the members from `start` of the pending list into the tape.
    fn close(&mut self, start: usize) -> (u32, u32) {
        let first = self.tape.members.len();
        self.tape.members.extend(self.pending.drain(start..));
        (first as u32, (self.tape.members.len() - first) as u32)
    }

    fn repeats_a_name(&self, start: usize) -> bool {
        let names = &self.pending[start..];
        if names.len() <= 16 {
            // Pairwise, by length first: most names of an object differ in length.
            let length = |text: Text| text.len(&self.tape.decoded);
            names.iter().enumerate().any(|(i, member)| {
                let size = length(member.name);
                names[..i]
                    .iter()
                    .any(|other| length(other.name) == size && self.resolve(other.name) == self.resolve(member.name))
            })
        } else {
            let mut seen = HashSet::with_capacity(names.len());
            names.iter().any(|member| !seen.insert(self.resolve(member.name)))
        }
    }
}

/// Reads one value into the builder; gives its item's index.
struct ItemSeed<'b, 't>(&'b mut Builder<'t>);

impl<'t> DeserializeSeed<'t> for ItemSeed<'_, 't> {
    type Value = u32;

    fn deserialize<D: de::Deserializer<'t>>(self, deserializer: D) -> Result<u32, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'t> Visitor<'t> for ItemSeed<'_, 't> {
    type Value = u32;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<u32, E> {
        Ok(self.0.push(Item::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<u32, E> {
        Ok(self.0.push_number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<u32, E> {
        Ok(self.0.push_number(value.into()))
    }

    #[allow(
        clippy::disallowed_types,
        reason = "serde hands a JSON number with a fraction over as a double; it is kept as serde_json's Number, as serde_json itself does"
    )]
    fn visit_f64<E>(self, value: f64) -> Result<u32, E> {
        // As serde_json's own `Value`: a number it cannot hold is null.
        Ok(match Number::from_f64(value) {
            Some(number) => self.0.push_number(number),
            None => self.0.push(Item::Null),
        })
    }

    fn visit_borrowed_str<E>(self, value: &'t str) -> Result<u32, E> {
        let text = self.0.text(Some(value), value);
        Ok(self.0.push(Item::String(text)))
    }

    fn visit_str<E>(self, value: &str) -> Result<u32, E> {
        let text = self.0.text(None, value);
        Ok(self.0.push(Item::String(text)))
    }

    fn visit_unit<E>(self) -> Result<u32, E> {
        Ok(self.0.push(Item::Null))
    }

    fn visit_seq<A: de::SeqAccess<'t>>(self, mut seq: A) -> Result<u32, A::Error> {
        let builder = self.0;
        let start = builder.pending.len();
        while let Some(item) = seq.next_element_seed(ItemSeed(builder))? {
            builder.pending.push(Member { name: Text::Range(0, 0), item });
        }
        let (first, len) = builder.close(start);
        Ok(builder.push(Item::Array { first, len }))
    }

    fn visit_map<A: de::MapAccess<'t>>(self, mut map: A) -> Result<u32, A::Error> {
        let builder = self.0;
        let start = builder.pending.len();
        while let Some(name) = map.next_key_seed(NameSeed(builder))? {
            let item = map.next_value_seed(ItemSeed(builder))?;
            builder.pending.push(Member { name, item });
        }
        if builder.repeats_a_name(start) {
            return Err(de::Error::custom(DUPLICATE));
        }
        let (first, len) = builder.close(start);
        Ok(builder.push(Item::Object { first, len }))
    }
}

/// Reads a member's name.
struct NameSeed<'b, 't>(&'b mut Builder<'t>);

impl<'t> DeserializeSeed<'t> for NameSeed<'_, 't> {
    type Value = Text;

    fn deserialize<D: de::Deserializer<'t>>(self, deserializer: D) -> Result<Text, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'t> Visitor<'t> for NameSeed<'_, 't> {
    type Value = Text;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, value: &'t str) -> Result<Text, E> {
        Ok(self.0.text(Some(value), value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Text, E> {
        Ok(self.0.text(None, value))
    }
}

// The schema check over a tape.

/// The [`Tape`] as a representation `jsonschema` validates.
pub struct Borrowed;

impl Json for Borrowed {
    type Node<'a> = Node<'a>;
    type PreparedKey = String;
    type StringBuffer = (Tape, String);

    // A lookup scans the members, so one pass over them all is never worse than a few lookups.
    const KEYS_PER_LOOKUP: usize = 16;
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>((tape, text): &mut (Tape, String), string: &str, f: impl FnOnce(Node<'_>) -> T) -> T {
        text.clear();
        text.push_str(string);
        tape.items.clear();
        // Under 4 GiB: a property name of a record that was read.
        tape.items.push(Item::String(Text::Range(0, string.len() as u32)));
        tape.root = 0;
        f(tape.root(text))
    }
}

impl<'a> jsonschema::json::Node<'a, Borrowed> for Node<'a> {
    type Object = Members<'a>;
    type Array = Members<'a>;
    type Number = &'a Number;

    fn as_object(&self) -> Option<Members<'a>> {
        match self.item() {
            Item::Object { first, len } => Some(Members { node: *self, first: *first, len: *len }),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<Members<'a>> {
        match self.item() {
            Item::Array { first, len } => Some(Members { node: *self, first: *first, len: *len }),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        self.as_str().map(Cow::Borrowed)
    }

    fn as_number(&self) -> Option<&'a Number> {
        match self.item() {
            Item::Number(number) => Some(self.number(*number)),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.item() {
            Item::Bool(value) => Some(*value),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self.item(), Item::Null)
    }

    fn json_type(&self) -> JsonType {
        match self.item() {
            Item::Null => JsonType::Null,
            Item::Bool(_) => JsonType::Boolean,
            Item::Number(_) => JsonType::Number,
            Item::String(_) => JsonType::String,
            Item::Array { .. } => JsonType::Array,
            Item::Object { .. } => JsonType::Object,
        }
    }

    fn equals_value(&self, expected: &Value) -> bool {
        // `enum` and `const` of strings, the schemas' only kind, without building a value.
        match (self.item(), expected) {
            (Item::String(text), Value::String(expected)) => self.resolve(*text) == expected,
            (Item::String(_), _) | (_, Value::String(_)) => false,
            _ => jsonschema::json::cmp::equal(&self.to_value(), expected),
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(Node::to_value(self))
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref(self.item()) as usize))
    }
}

/// The members of an object or an array of a tape.
#[derive(Clone, Copy)]
pub struct Members<'a> {
    node: Node<'a>,
    first: u32,
    len: u32,
}

impl<'a> Object<'a, Borrowed> for Members<'a> {
    type Node = Node<'a>;
    type MemberName = &'a str;
    type MembersIter = MemberIter<'a>;

    fn len(&self) -> usize {
        self.len as usize
    }

    fn get(&self, key: &String) -> Option<Node<'a>> {
        self.node.members(self.first, self.len).find(|(name, _)| name == key).map(|(_, node)| node)
    }

    fn members(&self) -> MemberIter<'a> {
        self.node.members(self.first, self.len)
    }
}

impl<'a> Array<'a, Borrowed> for Members<'a> {
    type Node = Node<'a>;
    type ElementsIter = Elements<'a>;

    fn len(&self) -> usize {
        self.len as usize
    }

    fn elements(&self) -> Elements<'a> {
        Elements(self.node.members(self.first, self.len))
    }

    fn is_unique(&self) -> bool {
        // Lists of strings (credit ids), the schemas' only `uniqueItems`, without building values.
        let strings: Option<Vec<&str>> =
            self.node.members(self.first, self.len).map(|(_, node)| node.as_str()).collect();
        match strings {
            Some(strings) => {
                let mut seen = HashSet::with_capacity(strings.len());
                strings.into_iter().all(|string| seen.insert(string))
            }
            None => {
                let values: Vec<Value> =
                    self.node.members(self.first, self.len).map(|(_, node)| node.to_value()).collect();
                jsonschema::json::unique::is_unique(&values)
            }
        }
    }
}

/// The elements of an array of a tape.
pub struct Elements<'a>(MemberIter<'a>);

impl<'a> Iterator for Elements<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        self.0.next().map(|(_, node)| node)
    }
}

// The typed reading from a tape.

impl<'de> de::Deserializer<'de> for Node<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, serde_json::Error> {
        match self.item() {
            Item::Null => visitor.visit_unit(),
            Item::Bool(value) => visitor.visit_bool(*value),
            Item::Number(number) => self.number(*number).deserialize_any(visitor),
            Item::String(text) => visitor.visit_borrowed_str(self.resolve(*text)),
            Item::Array { first, len } => {
                let mut seq = Seq { items: self.members(*first, *len), left: *len as usize };
                let value = visitor.visit_seq(&mut seq)?;
                match seq.left {
                    0 => Ok(value),
                    _ => Err(de::Error::invalid_length(*len as usize, &"fewer elements in array")),
                }
            }
            Item::Object { first, len } => {
                let mut map = Entries { members: self.members(*first, *len), value: None, left: *len as usize };
                let value = visitor.visit_map(&mut map)?;
                match map.left {
                    0 => Ok(value),
                    _ => Err(de::Error::invalid_length(*len as usize, &"fewer elements in map")),
                }
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, serde_json::Error> {
        match self.item() {
            Item::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, serde_json::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, serde_json::Error> {
        match self.item() {
            Item::String(text) => visitor.visit_enum(self.resolve(*text).into_deserializer()),
            Item::Object { first, len: 1 } => {
                let (variant, value) = self.members(*first, 1).next().expect("an object of one member has one");
                visitor.visit_enum(Variant { variant, value })
            }
            _ => Err(de::Error::invalid_type(
                de::Unexpected::Other("a value that is not a string or an object of one member"),
                &"an enum",
            )),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, serde_json::Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

impl<'a> IntoDeserializer<'a, serde_json::Error> for Node<'a> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

struct Seq<I> {
    items: I,
    left: usize,
}

impl<'a, I: Iterator<Item = (&'a str, Node<'a>)>> de::SeqAccess<'a> for Seq<I> {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'a>>(&mut self, seed: T) -> Result<Option<T::Value>, serde_json::Error> {
        match self.items.next() {
            Some((_, node)) => {
                self.left -= 1;
                seed.deserialize(node).map(Some)
            }
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

struct Entries<'a, I> {
    members: I,
    value: Option<Node<'a>>,
    left: usize,
}

impl<'a, I: Iterator<Item = (&'a str, Node<'a>)>> de::MapAccess<'a> for Entries<'a, I> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'a>>(&mut self, seed: K) -> Result<Option<K::Value>, serde_json::Error> {
        match self.members.next() {
            Some((name, node)) => {
                self.left -= 1;
                self.value = Some(node);
                seed.deserialize(de::value::BorrowedStrDeserializer::new(name)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'a>>(&mut self, seed: T) -> Result<T::Value, serde_json::Error> {
        match self.value.take() {
            Some(node) => seed.deserialize(node),
            None => Err(de::Error::custom("a value asked for before its name")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// An enum written as an object of one member: the variant's name and its content.
struct Variant<'a> {
    variant: &'a str,
    value: Node<'a>,
}

impl<'a> de::EnumAccess<'a> for Variant<'a> {
    type Error = serde_json::Error;
    type Variant = Node<'a>;

    fn variant_seed<V: DeserializeSeed<'a>>(self, seed: V) -> Result<(V::Value, Node<'a>), serde_json::Error> {
        let variant = seed.deserialize(de::value::BorrowedStrDeserializer::<serde_json::Error>::new(self.variant))?;
        Ok((variant, self.value))
    }
}

impl<'a> de::VariantAccess<'a> for Node<'a> {
    type Error = serde_json::Error;

    fn unit_variant(self) -> Result<(), serde_json::Error> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'a>>(self, seed: T) -> Result<T::Value, serde_json::Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, serde_json::Error> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'a>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, serde_json::Error> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}

#[allow(clippy::disallowed_types, reason = "test records with a float field")]
#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    fn value_of(text: &str) -> Value {
        Tape::parse(text).unwrap().root(text).to_value()
    }

    #[test]
    fn the_value_of_a_tape_is_the_one_serde_json_reads() {
        let names = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/names.tsv")).unwrap();
        let mut texts: Vec<String> = names
            .lines()
            .map(|line| serde_json::to_string(&json!({ "name": line, "n": [line] })))
            .map(Result::unwrap)
            .collect();
        texts.extend(
            [
                r#"{"a": "tab\tquote\" slash\/ \u00e9 \ud83d\ude00", "\u0062": [1, -2, 3.5, 1e3, -0, 0.1, 18446744073709551615, -9223372036854775808]}"#,
                r#"[[], {}, [[{}]], null, true, false, "", {"": ""}]"#,
                "  \"a string alone\"  ",
                "12",
            ]
            .map(str::to_string),
        );
        for text in texts {
            assert_eq!(value_of(&text), serde_json::from_str::<Value>(&text).unwrap(), "{text}");
        }
    }

    #[test]
    fn the_reader_refuses_as_serde_json_does_and_a_repeated_key_too() {
        let escaped = r#"{"a": 1, "\u0061": 2}"#;
        for text in ["{\"a\": }", "[1, 2", "{} x", "\"\\x\"", "{\"a\": 1, \"b\": {\"c\": 2, \"c\": 3}}", escaped] {
            let error = Tape::parse(text).map(|_| ()).unwrap_err().to_string();
            match serde_json::from_str::<Value>(text) {
                Err(expected) => assert_eq!(error, expected.to_string()),
                Ok(_) => assert!(error.starts_with(DUPLICATE), "{error}"),
            }
        }
        let many: Vec<String> = (0..20).map(|i| format!("\"k{i}\": {i}")).collect();
        let text = format!("{{{}, \"k3\": 0}}", many.join(", "));
        assert!(Tape::parse(&text).map(|_| ()).unwrap_err().to_string().starts_with(DUPLICATE));
    }

    #[test]
    fn the_model_reads_from_a_tape_as_from_a_value() {
        #[derive(Debug, PartialEq, Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            Plain,
            Weighted(u32),
            Pair { a: i64, b: Option<String> },
        }
        #[derive(Debug, PartialEq, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Record {
            name: String,
            score: f64,
            kinds: Vec<Kind>,
            note: Option<String>,
            #[serde(default)]
            missing: Vec<u8>,
            nested: std::collections::BTreeMap<String, (u8, bool)>,
        }
        let text = r#"{"name": "Zo\u00eb", "score": 3, "kinds": ["plain", {"weighted": 2}, {"pair": {"a": -1, "b": null}}],
            "note": null, "nested": {"x": [1, true]}}"#;
        let tape = Tape::parse(text).unwrap();
        let from_value = Record::deserialize(&serde_json::from_str::<Value>(text).unwrap()).unwrap();
        assert_eq!(Record::deserialize(tape.root(text)).unwrap(), from_value);
        for wrong in [r#"{"name": 1}"#, r#"{"name": "a", "extra": 1}"#, r#"{"kinds": [{"plain": 1, "weighted": 2}]}"#] {
            assert!(Record::deserialize(Tape::parse(wrong).unwrap().root(wrong)).is_err(), "{wrong}");
        }
    }

    #[test]
    fn a_schema_judges_a_tape_as_it_judges_the_value() {
        let schema = json!({
            "type": "object",
            "properties": {
                "status": { "enum": ["approved", 2, [1]] },
                "ids": { "type": "array", "uniqueItems": true },
                "name": { "type": "string", "minLength": 2, "pattern": "\\S" },
                "n": { "type": "integer", "maximum": 10 }
            },
            "propertyNames": { "pattern": "^[a-z]+$" },
            "required": ["name"],
            "additionalProperties": false
        });
        let quick = jsonschema::options_for::<Borrowed>().build(&schema).unwrap();
        let full = jsonschema::validator_for(&schema).unwrap();
        let texts = [
            (r#"{"name": "Ab", "status": "approved", "ids": ["a", "b"], "n": 10}"#, true),
            (r#"{"name": "Ab", "status": 2.0, "ids": [[1], [2]]}"#, true),
            (r#"{"name": "Ab", "status": 2.0, "ids": [[1], [1.0]]}"#, false),
            (r#"{"name": "Ab", "status": [1], "ids": ["a", "a"]}"#, false),
            (r#"{"name": "\u00e9", "status": "other"}"#, false),
            (r#"{"name": "  ", "n": 10.5}"#, false),
            (r#"{"name": "Ab", "Bad": 1}"#, false),
            (r#"{"status": "approved"}"#, false),
            (r#"["name"]"#, false),
        ];
        for (text, valid) in texts {
            let tape = Tape::parse(text).unwrap();
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(full.is_valid(&value), valid, "{text}");
            assert_eq!(quick.is_valid(tape.root(text)), valid, "{text}");
        }
    }
}
