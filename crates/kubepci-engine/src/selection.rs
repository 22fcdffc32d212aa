//! Which rules a scan runs.

use kubepci_rules::{RULES, Rule, Tag};

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
    /// The selected rules, in catalogue order.
    ///
    /// # Errors
    /// A selector that names no rule or group.
    pub fn resolve(&self, disabled: &[&str]) -> Result<Vec<&'static dyn Rule>, SelectionError> {
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
