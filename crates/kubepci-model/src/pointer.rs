//! RFC 6901 JSON pointers, used to name the field a finding is about.

use std::borrow::Cow;

use serde::Serialize;

/// An RFC 6901 JSON pointer such as `/spec/containers/0/securityContext`. The empty pointer
/// designates the whole document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct JsonPointer(String);

impl JsonPointer {
    /// The pointer to the whole document.
    #[must_use]
    pub const fn root() -> Self {
        Self(String::new())
    }

    /// Parses a pointer; it must be empty or start with `/`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        (text.is_empty() || text.starts_with('/')).then(|| Self(text.to_owned()))
    }

    /// This pointer extended by a mapping key (escaped per RFC 6901).
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        let mut out = String::with_capacity(self.0.len() + key.len() + 1);
        out.push_str(&self.0);
        out.push('/');
        for c in key.chars() {
            match c {
                '~' => out.push_str("~0"),
                '/' => out.push_str("~1"),
                c => out.push(c),
            }
        }
        Self(out)
    }

    /// This pointer extended by a sequence index.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        Self(format!("{}/{index}", self.0))
    }

    /// This pointer followed by another one.
    #[must_use]
    pub fn join(&self, rest: &JsonPointer) -> Self {
        Self(format!("{}{}", self.0, rest.0))
    }

    /// The unescaped reference tokens.
    pub fn segments(&self) -> impl Iterator<Item = Cow<'_, str>> {
        self.0.split('/').skip(1).map(|raw| {
            if raw.contains('~') {
                Cow::Owned(raw.replace("~1", "/").replace("~0", "~"))
            } else {
                Cow::Borrowed(raw)
            }
        })
    }

    /// The pointer text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this pointer starts with `prefix` (segment-wise).
    #[must_use]
    pub fn starts_with(&self, prefix: &JsonPointer) -> bool {
        self.0 == prefix.0
            || (self.0.starts_with(&prefix.0)
                && self.0.as_bytes().get(prefix.0.len()) == Some(&b'/'))
    }
}

impl std::fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_per_rfc6901() {
        let p = JsonPointer::root()
            .key("metadata")
            .key("annotations")
            .key("container.apparmor.security.beta.kubernetes.io/app~x");
        assert_eq!(
            p.as_str(),
            "/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app~0x"
        );
    }

    #[test]
    fn prefix_is_segment_wise() {
        let a = JsonPointer::root().key("spec").key("containers");
        let b = JsonPointer::root().key("spec").key("containersX");
        assert!(a.key("x").starts_with(&a));
        assert!(!b.starts_with(&a));
    }

    proptest! {
        #[test]
        fn segments_round_trip(keys in proptest::collection::vec(".*", 0..6)) {
            let p = keys.iter().fold(JsonPointer::root(), |p, k| p.key(k));
            let back: Vec<String> = p.segments().map(|s| s.into_owned()).collect();
            prop_assert_eq!(back, keys);
        }
    }
}
