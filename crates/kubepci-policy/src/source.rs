//! Policy files in memory, and where in them a block of code starts.

use std::collections::HashMap;
use std::sync::Arc;

use kubepci_model::Node;

/// One policy file, read by the caller.
#[derive(Debug, Clone)]
pub struct PolicySource {
    /// How errors and findings name it.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The text of every loaded file, to find where a block scalar's content starts.
#[derive(Debug, Default)]
pub struct Sources {
    texts: HashMap<Arc<str>, Vec<String>>,
}

impl Sources {
    /// Remembers a file's lines.
    pub fn add(&mut self, name: &str, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        self.texts
            .insert(Arc::from(name), text.lines().map(str::to_owned).collect());
    }

    /// The line on which a string node's content starts: the next line for a block scalar
    /// (`|`, `>`), else the node's own.
    #[must_use]
    pub fn content_line(&self, file: &str, node: &Node) -> u32 {
        let line = node.pos.line;
        let block = self
            .texts
            .get(file)
            .and_then(|lines| lines.get(line.saturating_sub(1) as usize))
            .and_then(|text| text.chars().nth(node.pos.column.saturating_sub(1) as usize))
            .is_some_and(|c| c == '|' || c == '>');
        if block { line + 1 } else { line }
    }
}
