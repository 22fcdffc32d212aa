//! Which rules a scan runs.

use kubepci_rules::{RULES, Rule, RuleRef, Tag};

/// A rule selection error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule or rule group `{0}` (see `kubepci rules`)")]
pub struct SelectionError(pub String);

/// Rules to run: `only` (when given) then minus `skip` and the configuration's `disable`.
/// Selectors are rule IDs (`KP1001`), names (`privileged-container`) or groups
/// (`pss-baseline`, `pss-restricted`, `all`).
#[derive(Debug, Clone, Default)]
pub struct RuleSelection {
    /// Run only these (all rules when empty).
    pub only: Vec<String>,
    /// Never run these.
    pub skip: Vec<String>,
}

fn expand(selector: &str) -> Result<Vec<&'static dyn Rule>, SelectionError> {
    let tag = match selector {
        "all" => return Ok(RULES.to_vec()),
        "pss-baseline" => Some(Tag::PssBaseline),
        "pss-restricted" => Some(Tag::PssRestricted),
        _ => None,
    };
    if let Some(tag) = tag {
        return Ok(RULES
            .iter()
            .copied()
            .filter(|r| r.meta().has_tag(tag))
            .collect());
    }
    kubepci_rules::find(selector)
        .map(|r| vec![r])
        .ok_or_else(|| SelectionError(selector.to_owned()))
}

impl RuleSelection {
    /// The selected rules of the compiled catalogue, in catalogue order.
    ///
    /// # Errors
    /// A selector that names no rule or group.
    pub fn resolve(&self, disabled: &[&str]) -> Result<Vec<RuleRef>, SelectionError> {
        self.resolve_with(disabled, &[])
    }

    /// The selected rules of the catalogue, then of `loaded` (policies loaded at run time,
    /// selected by ID like the catalogue's, and never by a group).
    ///
    /// # Errors
    /// A selector that names no rule, group or loaded rule.
    pub fn resolve_with(
        &self,
        disabled: &[&str],
        loaded: &[RuleRef],
    ) -> Result<Vec<RuleRef>, SelectionError> {
        let is_loaded = |s: &String| loaded.iter().any(|r| r.meta().id == s.as_str());
        let compiled = RuleSelection {
            only: self
                .only
                .iter()
                .filter(|s| !is_loaded(s))
                .cloned()
                .collect(),
            skip: self
                .skip
                .iter()
                .filter(|s| !is_loaded(s))
                .cloned()
                .collect(),
        };
        // `--rules` naming only loaded rules runs no compiled rule.
        let only_loaded = !self.only.is_empty() && compiled.only.is_empty();
        let mut rules = if only_loaded {
            Vec::new()
        } else {
            compiled.resolve_compiled(disabled)?
        };
        rules.extend(
            loaded
                .iter()
                .filter(|r| {
                    let id = r.meta().id;
                    (self.only.is_empty() || self.only.iter().any(|s| s == id))
                        && !self.skip.iter().any(|s| s == id)
                        && !disabled.contains(&id)
                })
                .cloned(),
        );
        Ok(rules)
    }

    fn resolve_compiled(&self, disabled: &[&str]) -> Result<Vec<RuleRef>, SelectionError> {
        let mut chosen: Vec<&str> = if self.only.is_empty() {
            RULES.iter().map(|r| r.meta().id).collect()
        } else {
            let mut ids = Vec::new();
            for s in &self.only {
                ids.extend(expand(s)?.iter().map(|r| r.meta().id));
            }
            ids
        };
        let mut skipped: Vec<&str> = disabled.to_vec();
        for s in &self.skip {
            skipped.extend(expand(s)?.iter().map(|r| r.meta().id));
        }
        chosen.retain(|id| !skipped.contains(id));
        Ok(RULES
            .iter()
            .copied()
            .filter(|r| chosen.contains(&r.meta().id))
            .map(RuleRef::from)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_names_and_skips() {
        let sel = RuleSelection {
            only: vec!["pss-baseline".into(), "KP1101".into()],
            skip: vec!["host-network".into()],
        };
        let ids: Vec<&str> = sel
            .resolve(&["KP1001"])
            .expect("valid")
            .iter()
            .map(|r| r.meta().id)
            .collect();
        assert!(ids.contains(&"KP1101") && ids.contains(&"KP1002"));
        assert!(!ids.contains(&"KP1004") && !ids.contains(&"KP1001") && !ids.contains(&"KP1017"));
        let bad = RuleSelection {
            only: vec!["nope".into()],
            skip: vec![],
        };
        assert!(bad.resolve(&[]).is_err());
    }
}
