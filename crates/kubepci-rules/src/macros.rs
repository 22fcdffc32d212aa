/// Declares a rule: a unit struct whose doc comment is the rule's documentation, and a
/// `META` constant with its metadata. The documentation must have the sections
/// `## What it does`, `## Why is this bad?`, `## How to fix`, `## Example` (a YAML block that
/// fails) and `## Use instead` (a YAML block that passes); a catalogue test enforces them and
/// runs both examples. `admission:` (optional, after `target:`) says how the rule runs in
/// the admission webhook; by default rules on pods and objects run on the object and rules
/// on the whole input are scan-only (see [`crate::Admission`]).
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $name:ident {
            id: $id:literal,
            name: $rule_name:literal,
            summary: $summary:literal,
            severity: $severity:ident,
            target: $target:expr,
            $(admission: $admission:ident,)?
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
                admission: declare_rule!(@admission $target $(, $admission)?),
                pci: &[$($pci),+],
                tags: &[$($crate::Tag::$tag),*],
                docs: concat!($($doc, "\n"),*),
            };
        }
    };
    (@admission $target:expr) => {
        $crate::Admission::implied_by(&$target)
    };
    (@admission $target:expr, $admission:ident) => {
        $crate::Admission::$admission
    };
}
