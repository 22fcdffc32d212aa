//! A rule's documentation, split into its fixed sections.

/// The sections of a rule's documentation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleDocs {
    /// `## What it does`.
    pub what: String,
    /// `## Why is this bad?`: the rationale.
    pub why: String,
    /// `## How to fix`: the remediation.
    pub fix: String,
    /// The YAML block under `## Example`: a manifest the rule flags.
    pub fail_example: Option<String>,
    /// The YAML block under `## Use instead`: a manifest the rule accepts.
    pub pass_example: Option<String>,
    /// The YAML block under `## Configuration`, if present: the `kubepci.yaml` settings both
    /// examples are checked with.
    pub config_example: Option<String>,
    /// `## References`, if present.
    pub references: String,
    /// The whole documentation as markdown.
    pub markdown: String,
}

impl RuleDocs {
    /// Normalises a doc comment (drops the one space `///` leaves at the start of each line)
    /// and splits it into the known sections (unknown sections stay in `markdown` only).
    #[must_use]
    pub fn parse(doc_comment: &str) -> Self {
        let markdown: String = doc_comment
            .split_inclusive('\n')
            .map(|line| line.strip_prefix(' ').unwrap_or(line))
            .collect();
        let mut docs = RuleDocs::default();
        for (heading, body) in sections(&markdown) {
            let text = body.trim().to_owned();
            match heading {
                "What it does" => docs.what = text,
                "Why is this bad?" => docs.why = text,
                "How to fix" => docs.fix = text,
                "Example" => docs.fail_example = yaml_block(body).map(str::to_owned),
                "Use instead" => docs.pass_example = yaml_block(body).map(str::to_owned),
                "Configuration" => docs.config_example = yaml_block(body).map(str::to_owned),
                "References" => docs.references = text,
                _ => {}
            }
        }
        docs.markdown = markdown;
        docs
    }

    /// The first paragraph of `what`, on one line.
    #[must_use]
    pub fn what_first_paragraph(&self) -> String {
        self.what
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn sections(markdown: &str) -> Vec<(&str, &str)> {
    let mut starts: Vec<(usize, usize, &str)> = Vec::new();
    let mut offset = 0;
    let mut in_code = false;
    for line in markdown.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && let Some(title) = line.strip_prefix("## ") {
            starts.push((offset, offset + line.len(), title.trim()));
        }
        offset += line.len();
    }
    let ends: Vec<usize> = starts
        .iter()
        .skip(1)
        .map(|s| s.0)
        .chain(std::iter::once(markdown.len()))
        .collect();
    starts
        .into_iter()
        .zip(ends)
        .map(|((_, body_start, title), end)| (title, &markdown[body_start..end]))
        .collect()
}

/// The contents of the first ```` ```yaml ```` block.
fn yaml_block(body: &str) -> Option<&str> {
    let start = body.find("```yaml")?;
    let after = &body[start + 7..];
    let content_start = after.find('\n')? + 1;
    let content = &after[content_start..];
    let end = content.find("```")?;
    Some(&content[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sections_and_examples() {
        let md = " ## What it does\n Flags x.\n\n ## Why is this bad?\n Because.\n ## How to fix\n Do y.\n ## Example\n ```yaml\n a: 1\n ```\n ## Use instead\n ```yaml\n a: 2\n ```\n";
        let d = RuleDocs::parse(md);
        assert_eq!(d.what, "Flags x.");
        assert_eq!(d.why, "Because.");
        assert_eq!(d.fix, "Do y.");
        assert_eq!(d.fail_example.as_deref(), Some("a: 1\n"));
        assert_eq!(d.pass_example.as_deref(), Some("a: 2\n"));
    }
}
