//! RBAC subjects and the `Kind:name` patterns configuration lists them with.

/// The kind of an RBAC subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum SubjectKind {
    /// A user (human or certificate CN).
    User,
    /// A group.
    Group,
    /// A service account (`namespace/name`).
    ServiceAccount,
}

impl SubjectKind {
    pub(crate) fn parse(kind: &str) -> Option<Self> {
        match kind {
            "User" => Some(Self::User),
            "Group" => Some(Self::Group),
            "ServiceAccount" => Some(Self::ServiceAccount),
            _ => None,
        }
    }

    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
            Self::ServiceAccount => "ServiceAccount",
        }
    }
}

/// One subject of a binding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Subject {
    pub(crate) kind: SubjectKind,
    /// The user or group name; for service accounts the account's name.
    pub(crate) name: String,
    /// The service account's namespace (the binding's namespace when the subject omits it).
    pub(crate) namespace: Option<String>,
}

impl Subject {
    /// The subject as configuration writes it: `Group:name`, `User:name`,
    /// `ServiceAccount:namespace/name`.
    pub(crate) fn key(&self) -> String {
        match self.kind {
            SubjectKind::ServiceAccount => format!(
                "ServiceAccount:{}/{}",
                self.namespace.as_deref().unwrap_or_default(),
                self.name
            ),
            kind => format!("{}:{}", kind.as_str(), self.name),
        }
    }

    /// Whether the subject matches one of the `Kind:name` patterns (`*` matches any text).
    pub(crate) fn matches_any(&self, patterns: &[String]) -> bool {
        let key = self.key();
        patterns.iter().any(|p| glob(p, &key))
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            SubjectKind::ServiceAccount => write!(
                f,
                "ServiceAccount {}/{}",
                self.namespace.as_deref().unwrap_or_default(),
                self.name
            ),
            kind => write!(f, "{} {}", kind.as_str(), self.name),
        }
    }
}

/// Glob match where `*` matches any (possibly empty) text and every other character itself.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_patterns() {
        assert!(glob("Group:system:masters", "Group:system:masters"));
        assert!(glob(
            "ServiceAccount:kube-system/*",
            "ServiceAccount:kube-system/x"
        ));
        assert!(!glob(
            "ServiceAccount:kube-system/*",
            "ServiceAccount:kube-systemx/x"
        ));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXXbYc"));
        assert!(!glob("a*b", "aXXc"));
    }

    #[test]
    fn keys() {
        let s = Subject {
            kind: SubjectKind::ServiceAccount,
            name: "ctl".into(),
            namespace: Some("argocd".into()),
        };
        assert_eq!(s.key(), "ServiceAccount:argocd/ctl");
        assert!(s.matches_any(&["ServiceAccount:argocd/*".to_owned()]));
        assert_eq!(s.to_string(), "ServiceAccount argocd/ctl");
    }
}
