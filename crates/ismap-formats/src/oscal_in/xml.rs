//! OSCAL XML to the OSCAL JSON shape, so one set of checks and readers
//! serves both. The mapping follows the OSCAL XML↔JSON rules: attributes
//! become properties, repeated elements become arrays under their group name
//! (`prop` → `props`, `response` → `remediations`), the `revisions` wrapper
//! disappears, unwrapped prose (the `p`, `ul`, … directly inside a `part`)
//! becomes `prose`, and markup becomes markdown-ish text. Every element that
//! becomes an object remembers its XML path and line, so problems found on
//! the JSON shape can still point into the XML file.

use std::collections::HashMap;

use quick_xml::events::Event;
use serde_json::{Map, Value};

use super::paths::escape_pointer;
use crate::limits::{Limit, MAX_XML_DEPTH};

/// Where an XML element was: `/catalog/group[2]/control[5]` and its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlPlace {
    pub path: String,
    pub line: u32,
}

struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    line: u32,
}

enum Node {
    Element(Element),
    Text(String),
}

/// An XML syntax error at a line, or XML nested past [`MAX_XML_DEPTH`].
#[derive(Debug)]
pub struct XmlError {
    pub line: u32,
    pub message: String,
    /// Set when the document is nested past the limit.
    pub limit: Option<Limit>,
}

impl XmlError {
    fn syntax(line: u32, message: String) -> XmlError {
        XmlError {
            line,
            message,
            limit: None,
        }
    }
}

/// Counts lines up to byte offsets that only grow.
struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: u32,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> u32 {
        let offset = offset.min(self.text.len());
        if offset > self.offset {
            self.line += self.text[self.offset..offset]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u32;
            self.offset = offset;
        }
        self.line
    }
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn element(start: &quick_xml::events::BytesStart<'_>, line: u32) -> Result<Element, XmlError> {
    let name = local(start.name().into_inner()).to_owned();
    let mut attrs = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| XmlError::syntax(line, format!("<{name}>: {e}")))?;
        let key = attribute.key.into_inner();
        if key == "xmlns" || key.starts_with("xmlns:") || key.contains(':') {
            continue;
        }
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| XmlError::syntax(line, format!("<{name} {key}>: {e}")))?;
        attrs.push((key.to_owned(), value.into_owned()));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
        line,
    })
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(top) = stack.last_mut() {
        match top.children.last_mut() {
            Some(Node::Text(existing)) => existing.push_str(text),
            _ => top.children.push(Node::Text(text.to_owned())),
        }
    }
}

fn parse(text: &str) -> Result<Element, XmlError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut lines = Lines {
        text: text.as_bytes(),
        offset: 0,
        line: 1,
    };
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            XmlError::syntax(lines.at(reader.error_position() as usize), e.to_string())
        })?;
        match event {
            Event::Start(start) => {
                let line = lines.at(before);
                // The tree is converted and dropped recursively: bound it
                // before it is built (5,000 nested elements overflowed the
                // stack and aborted the portal).
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(XmlError {
                        line,
                        message: Limit::Depth { max: MAX_XML_DEPTH }.text(),
                        limit: Some(Limit::Depth { max: MAX_XML_DEPTH }),
                    });
                }
                stack.push(element(&start, line)?);
            }
            Event::Empty(start) => {
                let line = lines.at(before);
                let done = element(&start, line)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(done)),
                    None => return Ok(done),
                }
            }
            Event::End(_) => {
                let done = stack.pop().expect("the reader checks end tags");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(done)),
                    None => return Ok(done),
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content()),
            Event::CData(t) => push_text(&mut stack, &t),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&r)
                        .map(str::to_owned)
                        .ok_or_else(|| {
                            XmlError::syntax(lines.at(before), format!("unknown entity &{};", &*r))
                        })?,
                };
                push_text(&mut stack, &resolved);
            }
            Event::Eof => {
                return Err(XmlError::syntax(
                    lines.at(text.len()),
                    "the document ends before its root element is closed".into(),
                ));
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
}

// ---- markup ---------------------------------------------------------------

const BLOCK: &[&str] = &[
    "p",
    "ul",
    "ol",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "blockquote",
    "hr",
];
const INLINE: &[&str] = &[
    "em", "i", "strong", "b", "code", "q", "sub", "sup", "a", "img", "insert", "br", "span",
];

fn is_markup(name: &str) -> bool {
    BLOCK.contains(&name) || INLINE.contains(&name)
}

fn attr<'a>(e: &'a Element, name: &str) -> &'a str {
    e.attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Inline content as one line of markdown, whitespace collapsed as HTML does.
fn inline(nodes: &[Node], out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(text) => {
                for (i, word) in text.split(char::is_whitespace).enumerate() {
                    if i > 0 && !out.ends_with(' ') && !out.ends_with('\n') {
                        out.push(' ');
                    }
                    out.push_str(word);
                }
            }
            Node::Element(e) => {
                let wrap = |out: &mut String, mark: &str| {
                    out.push_str(mark);
                    inline(&e.children, out);
                    out.push_str(mark);
                };
                match e.name.as_str() {
                    "em" | "i" => wrap(out, "*"),
                    "strong" | "b" => wrap(out, "**"),
                    "code" => wrap(out, "`"),
                    "q" => wrap(out, "\""),
                    "sub" => wrap(out, "~"),
                    "sup" => wrap(out, "^"),
                    "br" => out.push('\n'),
                    "insert" => {
                        out.push_str(&format!(
                            "{{{{ insert: {}, {} }}}}",
                            attr(e, "type"),
                            attr(e, "id-ref")
                        ));
                    }
                    "a" => {
                        out.push('[');
                        inline(&e.children, out);
                        out.push_str(&format!("]({})", attr(e, "href")));
                    }
                    "img" => out.push_str(&format!("![{}]({})", attr(e, "alt"), attr(e, "src"))),
                    _ => inline(&e.children, out),
                }
            }
        }
    }
}

fn inline_text(nodes: &[Node]) -> String {
    let mut out = String::new();
    inline(nodes, &mut out);
    out.trim().to_owned()
}

fn block(e: &Element, blocks: &mut Vec<String>) {
    match e.name.as_str() {
        "p" => blocks.push(inline_text(&e.children)),
        "hr" => blocks.push("---".into()),
        "pre" => {
            let mut text = String::new();
            for node in &e.children {
                match node {
                    Node::Text(t) => text.push_str(t),
                    Node::Element(inner) => text.push_str(&inline_text(&inner.children)),
                }
            }
            blocks.push(format!("```\n{}\n```", text.trim_matches('\n')));
        }
        "blockquote" => {
            let mut inner = Vec::new();
            markdown_blocks(&e.children, &mut inner);
            blocks.push(
                inner
                    .join("\n\n")
                    .lines()
                    .map(|l| format!("> {l}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        "ul" | "ol" => {
            let mut lines = Vec::new();
            let mut n = 0;
            for node in &e.children {
                if let Node::Element(li) = node {
                    n += 1;
                    let marker = if e.name == "ol" {
                        format!("{n}.")
                    } else {
                        "-".into()
                    };
                    let mut inner = Vec::new();
                    markdown_blocks(&li.children, &mut inner);
                    lines.push(format!("{marker} {}", inner.join("\n  ")));
                }
            }
            blocks.push(lines.join("\n"));
        }
        "table" => {
            let mut rows = Vec::new();
            for row in e.children.iter().filter_map(|n| match n {
                Node::Element(r) => Some(r),
                _ => None,
            }) {
                let cells: Vec<String> = row
                    .children
                    .iter()
                    .filter_map(|n| match n {
                        Node::Element(c) => Some(inline_text(&c.children)),
                        _ => None,
                    })
                    .collect();
                rows.push(format!("| {} |", cells.join(" | ")));
            }
            blocks.push(rows.join("\n"));
        }
        h if h.len() == 2 && h.starts_with('h') => {
            let level = h[1..].parse::<usize>().unwrap_or(1);
            blocks.push(format!(
                "{} {}",
                "#".repeat(level),
                inline_text(&e.children)
            ));
        }
        _ => blocks.push(inline_text(&e.children)),
    }
}

/// Mixed content: runs of inline content become paragraphs, block elements
/// become blocks.
fn markdown_blocks(nodes: &[Node], blocks: &mut Vec<String>) {
    let mut run: Vec<&Node> = Vec::new();
    let flush = |run: &mut Vec<&Node>, blocks: &mut Vec<String>| {
        let mut out = String::new();
        for node in run.drain(..) {
            inline(std::slice::from_ref(node), &mut out);
        }
        let text = out.trim();
        if !text.is_empty() {
            blocks.push(text.to_owned());
        }
    };
    for node in nodes {
        match node {
            Node::Element(e) if BLOCK.contains(&e.name.as_str()) => {
                flush(&mut run, blocks);
                block(e, blocks);
            }
            _ => run.push(node),
        }
    }
    flush(&mut run, blocks);
}

fn markdown(nodes: &[Node]) -> String {
    let mut blocks = Vec::new();
    markdown_blocks(nodes, &mut blocks);
    blocks.join("\n\n")
}

// ---- the JSON shape -------------------------------------------------------

/// Elements whose XML form wraps a list that is a plain array in JSON.
const WRAPPERS: &[&str] = &["revisions"];

/// Assemblies whose prose sits directly inside them (OSCAL's unwrapped
/// markup-multiline `prose`).
const UNWRAPPED_PROSE: &[&str] = &["part", "guideline"];

/// Fields with flags: the key their text goes to in JSON.
fn value_key(name: &str) -> &'static str {
    match name {
        "document-id" => "identifier",
        "telephone-number" => "number",
        "external-id" | "system-id" => "id",
        "link" => "text",
        _ => "value",
    }
}

/// Repeated elements and the JSON array they form.
const GROUPS: &[(&str, &str)] = &[
    ("action", "actions"),
    ("activity", "activities"),
    ("actor", "actors"),
    ("add", "adds"),
    ("addr-line", "addr-lines"),
    ("address", "addresses"),
    ("alter", "alters"),
    ("assessment-platform", "assessment-platforms"),
    ("assessment-subject", "assessment-subjects"),
    ("associated-activity", "associated-activities"),
    // OSCAL 1.0's name for 1.1's related-risk; kept, so a 1.1 schema says so.
    ("associated-risk", "associated-risks"),
    ("attestation", "attestations"),
    ("authorized-privilege", "authorized-privileges"),
    ("by-component", "by-components"),
    ("capability", "capabilities"),
    ("categorization", "categorizations"),
    ("characterization", "characterizations"),
    ("choice", "choice"),
    ("component", "components"),
    ("constraint", "constraints"),
    ("control", "controls"),
    (
        "control-objective-selection",
        "control-objective-selections",
    ),
    ("control-selection", "control-selections"),
    ("dependency", "dependencies"),
    ("diagram", "diagrams"),
    ("document-id", "document-ids"),
    ("email-address", "email-addresses"),
    ("entry", "entries"),
    ("exclude-control", "exclude-controls"),
    ("exclude-controls", "exclude-controls"),
    ("exclude-objective", "exclude-objectives"),
    ("exclude-subject", "exclude-subjects"),
    ("external-id", "external-ids"),
    ("facet", "facets"),
    ("finding", "findings"),
    ("function-performed", "functions-performed"),
    ("group", "groups"),
    ("guideline", "guidelines"),
    ("hash", "hashes"),
    ("implemented-component", "implemented-components"),
    ("implemented-requirement", "implemented-requirements"),
    ("import", "imports"),
    (
        "import-component-definition",
        "import-component-definitions",
    ),
    ("include-control", "include-controls"),
    ("include-controls", "include-controls"),
    ("include-objective", "include-objectives"),
    ("include-subject", "include-subjects"),
    ("incorporates-component", "incorporates-components"),
    ("information-type", "information-types"),
    ("information-type-id", "information-type-ids"),
    ("inherited", "inherited"),
    ("insert-controls", "insert-controls"),
    ("inventory-item", "inventory-items"),
    ("leveraged-authorization", "leveraged-authorizations"),
    ("link", "links"),
    ("location", "locations"),
    ("location-uuid", "location-uuids"),
    ("logged-by", "logged-by"),
    ("matching", "matching"),
    ("member-of-organization", "member-of-organizations"),
    ("method", "methods"),
    ("mitigating-factor", "mitigating-factors"),
    ("objectives-and-methods", "objectives-and-methods"),
    ("observation", "observations"),
    ("origin", "origins"),
    ("param", "params"),
    ("part", "parts"),
    ("party", "parties"),
    ("party-uuid", "party-uuids"),
    ("poam-item", "poam-items"),
    ("port-range", "port-ranges"),
    ("prop", "props"),
    ("protocol", "protocols"),
    ("provided", "provided"),
    ("related-finding", "related-findings"),
    ("related-observation", "related-observations"),
    ("related-response", "related-responses"),
    ("related-risk", "related-risks"),
    ("related-task", "related-tasks"),
    ("relevant-evidence", "relevant-evidence"),
    ("remove", "removes"),
    ("required-asset", "required-assets"),
    ("resource", "resources"),
    ("response", "remediations"),
    ("responsibility", "responsibilities"),
    ("responsible-party", "responsible-parties"),
    ("responsible-role", "responsible-roles"),
    ("result", "results"),
    ("risk", "risks"),
    ("rlink", "rlinks"),
    ("role", "roles"),
    ("role-id", "role-ids"),
    ("satisfied", "satisfied"),
    ("set-parameter", "set-parameters"),
    ("statement", "statements"),
    ("statement-id", "statement-ids"),
    ("step", "steps"),
    ("subject", "subjects"),
    ("system-id", "system-ids"),
    ("task", "tasks"),
    ("telephone-number", "telephone-numbers"),
    ("test", "tests"),
    ("threat-id", "threat-ids"),
    ("type", "types"),
    ("url", "urls"),
    ("user", "users"),
    ("uses-component", "uses-components"),
    ("value", "values"),
    ("with-id", "with-ids"),
];

/// The JSON key of `child` inside `parent`, and whether it is an array.
fn json_key(parent: &str, child: &str) -> (String, bool) {
    // The few elements whose grouping depends on where they are.
    match (parent, child) {
        ("location", "address") => return ("address".into(), false),
        ("system-security-plan", "control-implementation") => {
            return ("control-implementation".into(), false);
        }
        (_, "control-implementation") => return ("control-implementations".into(), true),
        ("plan-of-action-and-milestones", "system-id") => return ("system-id".into(), false),
        ("leveraged-authorization", "party-uuid") => return ("party-uuid".into(), false),
        _ => {}
    }
    match GROUPS.binary_search_by(|(name, _)| name.cmp(&child)) {
        Ok(i) => (GROUPS[i].1.to_owned(), true),
        Err(_) => (child.to_owned(), false),
    }
}

/// Typed scalars: the JSON schema wants numbers and booleans there.
fn scalar(key: &str, text: &str) -> Value {
    match key {
        "as-is" => Value::Bool(text.trim() == "true"),
        "start" | "end" => text
            .trim()
            .parse::<u64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_owned())),
        _ => Value::String(text.to_owned()),
    }
}

/// Fields that are text even when empty (an empty element is otherwise `{}`).
const TEXT_FIELDS: &[&str] = &[
    "title",
    "remarks",
    "description",
    "prose",
    "value",
    "caption",
];

/// Fields with flags that are objects in JSON even when no flag is given.
const FLAGGED_FIELDS: &[&str] = &[
    "base64",
    "document-id",
    "external-id",
    "hash",
    "system-id",
    "telephone-number",
];

struct Converter {
    places: HashMap<String, XmlPlace>,
}

impl Converter {
    fn attributes(e: &Element, object: &mut Map<String, Value>) {
        for (k, v) in &e.attrs {
            object.insert(k.clone(), scalar(k, v));
        }
    }

    fn convert(&mut self, e: &Element, pointer: &str, path: &str) -> Value {
        self.places.insert(
            pointer.to_owned(),
            XmlPlace {
                path: path.to_owned(),
                line: e.line,
            },
        );
        let has_elements = e.children.iter().any(|n| matches!(n, Node::Element(_)));
        let only_markup = e.children.iter().all(|n| match n {
            Node::Element(c) => is_markup(&c.name),
            Node::Text(_) => true,
        });
        if WRAPPERS.contains(&e.name.as_str()) {
            return Value::Array(self.children(e, pointer, path));
        }
        if !UNWRAPPED_PROSE.contains(&e.name.as_str()) && only_markup {
            let text = if has_elements {
                markdown(&e.children)
            } else {
                // Plain text fields keep their text as written, trimmed.
                let raw: String = e
                    .children
                    .iter()
                    .map(|n| match n {
                        Node::Text(t) => t.as_str(),
                        Node::Element(_) => "",
                    })
                    .collect();
                if raw.contains('\n') {
                    markdown(&e.children)
                } else {
                    raw.trim().to_owned()
                }
            };
            if e.attrs.is_empty() && !FLAGGED_FIELDS.contains(&e.name.as_str()) {
                if text.is_empty() && !TEXT_FIELDS.contains(&e.name.as_str()) {
                    return Value::Object(Map::new());
                }
                return scalar(&e.name, &text);
            }
            let mut object = Map::new();
            Self::attributes(e, &mut object);
            if !text.is_empty() {
                object.insert(value_key(&e.name).into(), Value::String(text));
            }
            return Value::Object(object);
        }
        let mut object = Map::new();
        Self::attributes(e, &mut object);
        let markup: Vec<&Node> = e
            .children
            .iter()
            .filter(|n| match n {
                Node::Element(c) => is_markup(&c.name),
                Node::Text(_) => false,
            })
            .collect();
        if !markup.is_empty() {
            let mut blocks = Vec::new();
            for node in markup {
                if let Node::Element(c) = node {
                    if BLOCK.contains(&c.name.as_str()) {
                        block(c, &mut blocks);
                    } else {
                        blocks.push(inline_text(std::slice::from_ref(node)));
                    }
                }
            }
            object.insert("prose".into(), Value::String(blocks.join("\n\n")));
        }
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for child in e.children.iter().filter_map(|n| match n {
            Node::Element(c) if !is_markup(&c.name) => Some(c),
            _ => None,
        }) {
            let n = counts.entry(child.name.as_str()).or_insert(0);
            *n += 1;
            let child_path = format!("{path}/{}[{n}]", child.name);
            let (key, array) = json_key(&e.name, &child.name);
            let key_pointer = format!("{pointer}/{}", escape_pointer(&key));
            if array {
                let list = object
                    .entry(key.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                let index = list.as_array().map(Vec::len).unwrap_or(0);
                let value = self.convert(child, &format!("{key_pointer}/{index}"), &child_path);
                if let Value::Array(items) = object.get_mut(&key).expect("just inserted") {
                    items.push(value);
                }
            } else {
                let value = self.convert(child, &key_pointer, &child_path);
                object.insert(key, value);
            }
        }
        Value::Object(object)
    }

    fn children(&mut self, e: &Element, pointer: &str, path: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for child in e.children.iter().filter_map(|n| match n {
            Node::Element(c) => Some(c),
            _ => None,
        }) {
            let index = out.len();
            let value = self.convert(
                child,
                &format!("{pointer}/{index}"),
                &format!("{path}/{}[{}]", child.name, index + 1),
            );
            out.push(value);
        }
        out
    }
}

/// An OSCAL XML document in the JSON shape (`{"catalog": {...}}`), with the
/// XML place of every JSON pointer that names an element.
pub fn to_json(text: &str) -> Result<(Value, HashMap<String, XmlPlace>), XmlError> {
    let root = parse(text)?;
    let mut converter = Converter {
        places: HashMap::new(),
    };
    let pointer = format!("/{}", escape_pointer(&root.name));
    let path = format!("/{}", root.name);
    let inner = converter.convert(&root, &pointer, &path);
    let mut document = Map::new();
    document.insert(root.name.clone(), inner);
    Ok((Value::Object(document), converter.places))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_sorted_for_binary_search() {
        assert!(GROUPS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn repeated_elements_become_arrays_and_prose_becomes_text() {
        let xml = r#"<?xml version="1.0"?>
<catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0" uuid="u1">
  <metadata><title>T &amp; <em>x</em></title><oscal-version>1.0.4</oscal-version>
    <revisions><revision><title>r</title></revision></revisions></metadata>
  <control id="ac-1" class="c"><title>Policy</title>
    <prop name="label" value="AC-1"/>
    <part id="ac-1_smt" name="statement"><p>Do   <insert type="param" id-ref="p1"/> now.</p>
      <part id="ac-1_smt.a" name="item"><p>a thing</p></part></part>
  </control>
</catalog>"#;
        let (value, places) = to_json(xml).unwrap();
        let c = &value["catalog"];
        assert_eq!(c["metadata"]["title"], "T & *x*");
        assert_eq!(c["metadata"]["revisions"][0]["title"], "r");
        assert_eq!(c["controls"][0]["props"][0]["value"], "AC-1");
        let part = &c["controls"][0]["parts"][0];
        assert_eq!(part["prose"], "Do {{ insert: param, p1 }} now.");
        assert_eq!(part["parts"][0]["prose"], "a thing");
        let place = &places["/catalog/controls/0/parts/0/parts/0"];
        assert_eq!(place.path, "/catalog/control[1]/part[1]/part[1]");
        assert_eq!(place.line, 8);
    }
}
