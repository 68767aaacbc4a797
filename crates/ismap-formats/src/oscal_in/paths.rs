//! Where things are in a document, kept cheaply. A walk pushes and pops
//! path segments as it goes; only the places it may report on are stored
//! (in an arena, sharing their common ancestors), and a JSON pointer is
//! spelled out only for a problem. Stored places compare in the order of
//! a walk that visits each object's members sorted by key (the order of
//! `serde_json::Value`'s maps), whatever order they were found in.

use std::borrow::Cow;
use std::cmp::Ordering;

/// One step of a path: a member of an object or an item of an array.
#[derive(Clone, Debug)]
pub(super) enum Seg<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

/// A stored place: an index into the arena ([`Pos::ROOT`] is the document).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Pos(u32);

impl Pos {
    const ROOT: Pos = Pos(u32::MAX);
}

#[derive(Default)]
pub(super) struct Paths<'a> {
    /// The current path, each step with its place once stored. Stored
    /// steps always form a prefix: a step is stored with its ancestors.
    stack: Vec<(Seg<'a>, Pos)>,
    /// Stored places: parent and step.
    arena: Vec<(Pos, Seg<'a>)>,
}

impl<'a> Paths<'a> {
    pub(super) fn push(&mut self, seg: Seg<'a>) {
        self.stack.push((seg, Pos::ROOT));
    }

    pub(super) fn pop(&mut self) {
        self.stack.pop();
    }

    /// The key of the last step, when it is a member.
    pub(super) fn last_key(&self) -> Option<&str> {
        match self.stack.last() {
            Some((Seg::Key(k), _)) => Some(k),
            _ => None,
        }
    }

    /// The current place, stored.
    pub(super) fn here(&mut self) -> Pos {
        self.store(self.stack.len())
    }

    /// The place one step up (the object whose member is being read).
    pub(super) fn parent(&mut self) -> Pos {
        self.store(self.stack.len().saturating_sub(1))
    }

    /// Stores the first `depth` steps of the current path.
    fn store(&mut self, depth: usize) -> Pos {
        let stored = self.stack[..depth]
            .iter()
            .rposition(|(_, at)| *at != Pos::ROOT)
            .map_or(0, |i| i + 1);
        let mut parent = match stored {
            0 => Pos::ROOT,
            n => self.stack[n - 1].1,
        };
        for (seg, at) in &mut self.stack[stored..depth] {
            let index = u32::try_from(self.arena.len()).expect("fewer than 4 billion places");
            self.arena.push((parent, seg.clone()));
            parent = Pos(index);
            *at = parent;
        }
        parent
    }

    /// The steps from the document to `pos`.
    fn steps(&self, mut pos: Pos) -> Vec<&Seg<'a>> {
        let mut steps = Vec::new();
        while pos != Pos::ROOT {
            let (parent, seg) = &self.arena[pos.0 as usize];
            steps.push(seg);
            pos = *parent;
        }
        steps.reverse();
        steps
    }

    /// The JSON pointer (RFC 6901) of `pos`.
    pub(super) fn pointer(&self, pos: Pos) -> String {
        let mut out = String::new();
        for seg in self.steps(pos) {
            out.push('/');
            match seg {
                Seg::Key(k) => out.push_str(&escape_pointer(k)),
                Seg::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }

    /// Walk order: members by key, items by index, a place before what
    /// it holds.
    pub(super) fn cmp(&self, a: Pos, b: Pos) -> Ordering {
        if a == b {
            return Ordering::Equal;
        }
        let (a, b) = (self.steps(a), self.steps(b));
        for (x, y) in a.iter().zip(&b) {
            let order = match (x, y) {
                (Seg::Key(x), Seg::Key(y)) => x.as_ref().cmp(y.as_ref()),
                (Seg::Index(x), Seg::Index(y)) => x.cmp(y),
                // One place holds either members or items, never both.
                (Seg::Key(_), Seg::Index(_)) => Ordering::Less,
                (Seg::Index(_), Seg::Key(_)) => Ordering::Greater,
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        a.len().cmp(&b.len())
    }
}

/// A key as a JSON pointer step (RFC 6901: `~` → `~0`, `/` → `~1`).
pub(super) fn escape_pointer(key: &str) -> Cow<'_, str> {
    if key.contains(['~', '/']) {
        Cow::Owned(key.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Seg<'_> {
        Seg::Key(Cow::Borrowed(k))
    }

    #[test]
    fn places_are_stored_once_with_their_ancestors_and_spelled_as_pointers() {
        let mut paths = Paths::default();
        paths.push(key("catalog"));
        let catalog = paths.here();
        paths.push(key("a/b~c"));
        paths.push(Seg::Index(3));
        assert_eq!(paths.parent(), paths.parent());
        let item = paths.here();
        assert_eq!(paths.here(), item);
        assert_eq!(paths.arena.len(), 3);
        assert_eq!(paths.pointer(catalog), "/catalog");
        assert_eq!(paths.pointer(item), "/catalog/a~1b~0c/3");
        assert_eq!(paths.pointer(Pos::ROOT), "");
        paths.pop();
        paths.push(Seg::Index(4));
        let next = paths.here();
        assert_eq!(paths.arena.len(), 4);
        assert_eq!(paths.pointer(next), "/catalog/a~1b~0c/4");
    }

    #[test]
    fn places_compare_in_sorted_walk_order_whatever_order_they_were_found_in() {
        let mut paths = Paths::default();
        let mut at = |steps: &[Seg<'static>]| {
            for s in steps {
                paths.push(s.clone());
            }
            let pos = paths.here();
            for _ in steps {
                paths.pop();
            }
            pos
        };
        let z = at(&[key("c"), key("z")]);
        let b10 = at(&[key("c"), key("b"), Seg::Index(10)]);
        let b9 = at(&[key("c"), key("b"), Seg::Index(9)]);
        let c = at(&[key("c")]);
        let mut found = vec![z, b10, b9, c];
        found.sort_by(|x, y| paths.cmp(*x, *y));
        assert_eq!(found, vec![c, b9, b10, z]);
    }
}
