/// Declares a rule: a unit struct whose doc comment is the rule's documentation, and a
/// `META` constant with its metadata. The documentation must have the sections
/// `## What it does`, `## Why is this bad?`, `## How to fix`, `## Example` (a YAML block that
/// fails) and `## Use instead` (a YAML block that passes); a catalogue test enforces them and
/// runs both examples.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $name:ident {
            id: $id:literal,
            name: $rule_name:literal,
            summary: $summary:literal,
            severity: $severity:ident,
            target: $target:expr,
            pci: [$($pci:literal),+ $(,)?],
            tags: [$($tag:ident),* $(,)?] $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, Default)]
        $vis struct $name;

        impl $name {
            /// This rule's metadata.
            pub(crate) const META: &'static $crate::RuleMeta = &$crate::RuleMeta {
                id: $id,
                name: $rule_name,
                summary: $summary,
                severity: ::kubepci_model::Severity::$severity,
                target: $target,
                pci: &[$($pci),+],
                tags: &[$($crate::Tag::$tag),*],
                docs: concat!($($doc, "\n"),*),
            };
        }
    };
}
