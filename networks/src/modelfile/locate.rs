//! Where each key of a model file is: its byte offset (for file order) and line (for errors).

use std::collections::HashMap;

use toml::de::{DeTable, DeValue};

/// Key path -> byte offset of the key in the file.
pub struct Index {
    offsets: HashMap<String, usize>,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl Index {
    /// Indexes `text`; a file that does not parse gives an empty index.
    pub fn new(text: &str) -> Self {
        let mut offsets = HashMap::new();
        if let Ok(root) = DeTable::parse(text) {
            walk(root.get_ref(), "", &mut offsets);
        }
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            offsets,
            line_starts,
        }
    }

    /// The offset of `path`'s key; keys not in the file sort last.
    pub fn offset_of(&self, path: &str) -> usize {
        self.offsets.get(path).copied().unwrap_or(usize::MAX)
    }

    /// The 1-based line of `path` (`a.b[3]` is `a.b`), or of its nearest ancestor in the file.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let mut p = path.split('[').next().unwrap_or(path);
        loop {
            if let Some(&off) = self.offsets.get(p) {
                return Some(self.line_starts.partition_point(|&s| s <= off));
            }
            p = &p[..p.rfind('.')?];
        }
    }
}

fn walk(t: &DeTable<'_>, prefix: &str, out: &mut HashMap<String, usize>) {
    for (k, v) in t.iter() {
        let path = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        out.insert(path.clone(), k.span().start);
        if let DeValue::Table(sub) = v.get_ref() {
            walk(sub, &path, out);
        }
    }
}
