//! A tolerant second reading of a YAML file that did not fit its shape (an
//! unknown field, a wrong type): every such error of the file, not only the
//! first, and the file without the offending values, so the checks can still
//! look at the rest of it.
//!
//! serde stops at the first error. Here the file is read once as a plain YAML
//! tree; each error's path is recorded, the offending key or item is taken out
//! of the tree, and the tree is read again, until it fits.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_yaml::Value;

use crate::locate::{self, At, Problem, Segment, YamlPath};

/// The most errors taken out of one file before giving up on the rest.
const MAX_ROUNDS: usize = 200;

/// What the tolerant reading found.
pub struct Tolerant<T> {
    /// Every shape error, in file order of discovery; the first is the one serde
    /// reported on the first reading.
    pub problems: Vec<Problem>,
    /// The file without the offending values, when what is left fits.
    pub value: Option<T>,
}

/// Reads `text` again after a shape error: every shape error of the file, and
/// what is left. `None` when the text is not YAML at all (a syntax error: that
/// first error is the only one that can be trusted).
pub fn read<T: DeserializeOwned>(file: &Path, text: &str) -> Option<Tolerant<T>> {
    let mut tree: Value = serde_yaml::from_str(text).ok()?;
    let mut problems = Vec::new();
    let mut shifts = Shifts::default();
    // (original path of a mapping, key) taken out because its value was wrong: the
    // "missing field" that follows is the same mistake.
    let mut removed: HashSet<(String, String)> = HashSet::new();
    // (original path of a mapping, key, value) of unknown fields: likely typos of a
    // field whose "missing field" follows, read then as that field.
    let mut mistyped: Vec<(String, String, Value)> = Vec::new();
    // Original paths of the fields filled from a typo: an error in one of them is the
    // typo's value, already reported once.
    let mut filled: HashSet<String> = HashSet::new();
    for _ in 0..MAX_ROUNDS {
        let err = match serde_path_to_error::deserialize::<_, T>(tree.clone()) {
            Ok(value) => {
                return Some(Tolerant {
                    problems,
                    value: Some(value),
                })
            }
            Err(e) => e,
        };
        let Some(path) = current_path(err.path()) else {
            break;
        };
        let original = shifts.original(&path);
        let message = err.inner().to_string();
        let (parent, last) = match path.0.split_last() {
            Some((last, parent)) => (YamlPath(parent.to_vec()), Some(last.clone())),
            None => (YamlPath::root(), None),
        };
        if let Some(rest) = message.strip_prefix("unknown field `") {
            if let Some(key) = rest.split('`').next() {
                let value = get_mut(&mut tree, &path.0).cloned().unwrap_or(Value::Null);
                mistyped.push((shifts.original(&parent).to_string(), key.to_owned(), value));
            }
            problems.push(locate::problem_from_message(
                file,
                At::Key(original.clone()),
                &message,
            ));
            if !remove(&mut tree, &path, &mut shifts) {
                break;
            }
            continue;
        }
        if let Some(rest) = message.strip_prefix("missing field `") {
            let field = rest.split('`').next().unwrap_or(rest).to_owned();
            let here = original.to_string();
            // `prise: 5` is one mistake, not an unknown field and a missing `price`:
            // its value is read as `price`, so the rest of that item is still checked
            // and the item stays (its category is not reported empty).
            let typo = mistyped.iter().position(|(at, key, _)| {
                *at == here && locate::suggest(key, [field.as_str()]).is_some()
            });
            if let Some(i) = typo {
                let (_, _, value) = mistyped.swap_remove(i);
                if let Some(Value::Mapping(map)) = get_mut(&mut tree, &path.0) {
                    filled.insert(original.key(field.clone()).to_string());
                    map.insert(Value::String(field), value);
                    continue;
                }
            } else if !removed.contains(&(here, field)) {
                problems.push(locate::problem_from_message(
                    file,
                    At::Value(original.clone()),
                    &message,
                ));
            }
            if path.0.is_empty() || !remove(&mut tree, &path, &mut shifts) {
                break;
            }
            continue;
        }
        if !filled.contains(&original.to_string()) {
            problems.push(locate::problem_from_message(
                file,
                At::Value(original.clone()),
                &message,
            ));
        }
        if let Some(Segment::Key(key)) = &last {
            removed.insert((shifts.original(&parent).to_string(), key.to_string()));
        }
        if path.0.is_empty() || !remove(&mut tree, &path, &mut shifts) {
            break;
        }
    }
    Some(Tolerant {
        problems,
        value: None,
    })
}

/// The path of an error in the tree as it is now; `None` when it has a part
/// that cannot be followed (a non-text key).
fn current_path(path: &serde_path_to_error::Path) -> Option<YamlPath> {
    let mut out = YamlPath::root();
    for segment in path {
        out = match segment {
            serde_path_to_error::Segment::Seq { index } => out.index(*index),
            serde_path_to_error::Segment::Map { key } => out.key(key.clone()),
            serde_path_to_error::Segment::Enum { .. } => out,
            serde_path_to_error::Segment::Unknown => return None,
        };
    }
    Some(out)
}

/// Items taken out of sequences, by the original path of the sequence, so a
/// path in the tree as it is now can be told in the file's own indices.
#[derive(Default)]
struct Shifts(HashMap<String, Vec<usize>>);

impl Shifts {
    fn original(&self, path: &YamlPath) -> YamlPath {
        let mut out = YamlPath::root();
        for segment in &path.0 {
            out = match segment {
                Segment::Key(key) => out.key(key.clone()),
                Segment::Index(n) => {
                    let mut index = *n;
                    if let Some(gone) = self.0.get(&out.to_string()) {
                        // `gone` is sorted: each removed item at or before the
                        // index moves it one further in the file.
                        for g in gone {
                            if *g <= index {
                                index += 1;
                            }
                        }
                    }
                    out.index(index)
                }
            };
        }
        out
    }

    fn record(&mut self, sequence: &YamlPath, original_index: usize) {
        let gone = self.0.entry(sequence.to_string()).or_default();
        let at = gone.partition_point(|g| *g < original_index);
        gone.insert(at, original_index);
    }
}

/// Takes the value at `path` out of the tree (a key of a mapping, an item of a
/// sequence). False when there is no such value.
fn remove(tree: &mut Value, path: &YamlPath, shifts: &mut Shifts) -> bool {
    let Some((last, parent)) = path.0.split_last() else {
        return false;
    };
    let parent_path = YamlPath(parent.to_vec());
    let original_parent = shifts.original(&parent_path);
    let Some(container) = get_mut(tree, parent) else {
        return false;
    };
    match (last, container) {
        (Segment::Key(key), Value::Mapping(map)) => {
            let found = map.keys().find(|k| key_text(k) == **key).cloned();
            found.is_some_and(|k| map.remove(&k).is_some())
        }
        (Segment::Index(n), Value::Sequence(items)) if *n < items.len() => {
            items.remove(*n);
            let original = shifts.original(path);
            if let Some(Segment::Index(i)) = original.0.last() {
                shifts.record(&original_parent, *i);
            }
            true
        }
        _ => false,
    }
}

fn get_mut<'v>(tree: &'v mut Value, path: &[Segment]) -> Option<&'v mut Value> {
    let mut node = tree;
    for segment in path {
        node = match (segment, node) {
            (Segment::Key(key), Value::Mapping(map)) => map
                .iter_mut()
                .find(|(k, _)| key_text(k) == **key)
                .map(|(_, v)| v)?,
            (Segment::Index(n), Value::Sequence(items)) => items.get_mut(*n)?,
            (_, Value::Tagged(tagged)) => {
                get_mut(&mut tagged.value, std::slice::from_ref(segment))?
            }
            _ => return None,
        };
    }
    Some(node)
}

/// A mapping key as serde names it in a path.
fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => "null".into(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Dish {
        id: String,
        price: String,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Menu {
        dishes: Vec<Dish>,
    }

    /// Where each problem of a reading is, as a path.
    fn paths(read: &Tolerant<Menu>) -> Vec<String> {
        read.problems
            .iter()
            .map(|p| match &p.at {
                At::Key(path) | At::Value(path) => path.to_string(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn finds_every_shape_error_with_file_indices() {
        let text = "dishes:\n  - id: a\n    price: \"1\"\n    prise: 2\n  - id: b\n    price: [1]\n  - id: c\n    price: \"3\"\n    tags: x\n  - id: d\n    price: \"4\"\n";
        let read = read::<Menu>(Path::new("m.yaml"), text).expect("YAML");
        let at = paths(&read);
        assert_eq!(
            at,
            ["dishes[0].prise", "dishes[1].price", "dishes[2].tags"],
            "{:?}",
            read.problems
        );
        let menu = read.value.expect("what is left fits");
        let ids: Vec<&str> = menu.dishes.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "d"]);
    }

    #[test]
    fn a_mistyped_field_is_read_as_the_field_meant_and_its_item_kept() {
        let text = "dishes:\n  - id: a\n    prise: \"5\"\n  - id: b\n    prise: [1]\n  - id: c\n    price: \"3\"\n";
        let read = read::<Menu>(Path::new("m.yaml"), text).expect("YAML");
        let at = paths(&read);
        // One error per mistake: the typos, not a missing `price` nor b's value again.
        assert_eq!(
            at,
            ["dishes[0].prise", "dishes[1].prise"],
            "{:?}",
            read.problems
        );
        let menu = read.value.expect("what is left fits");
        let dishes: Vec<(&str, &str)> = menu
            .dishes
            .iter()
            .map(|d| (d.id.as_str(), d.price.as_str()))
            .collect();
        assert_eq!(dishes, [("a", "5"), ("c", "3")]);
    }

    #[test]
    fn a_syntax_error_is_left_alone() {
        assert!(read::<Menu>(Path::new("m.yaml"), "dishes: [").is_none());
    }
}
