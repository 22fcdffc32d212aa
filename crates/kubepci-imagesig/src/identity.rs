//! Who a signing certificate was issued to: the OIDC identity of a Fulcio certificate, the
//! X.509 subject of a Notary Project certificate, and the patterns policies write for them.

use globset::{GlobBuilder, GlobMatcher};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

/// Fulcio's OIDC issuer extension, v2 (a DER UTF8String).
const OID_FULCIO_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
/// Fulcio's OIDC issuer extension, v1 (the raw string), deprecated but still issued.
const OID_FULCIO_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";

/// A subject pattern: `*` matches any run of characters, everything else is literal.
#[derive(Debug, Clone)]
pub(crate) struct Wildcard {
    written: String,
    matcher: GlobMatcher,
}

impl Wildcard {
    pub(crate) fn new(pattern: &str) -> Result<Self, String> {
        let escaped = pattern
            .split('*')
            .map(globset::escape)
            .collect::<Vec<_>>()
            .join("*");
        let matcher = GlobBuilder::new(&escaped)
            .literal_separator(false)
            .backslash_escape(true)
            .build()
            .map_err(|e| format!("subject pattern `{pattern}`: {e}"))?
            .compile_matcher();
        Ok(Self {
            written: pattern.to_owned(),
            matcher,
        })
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        self.matcher.is_match(text)
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.written
    }
}

/// The OIDC identity a Fulcio certificate was issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OidcIdentity {
    pub(crate) issuer: Option<String>,
    /// The SAN e-mail addresses and URIs.
    pub(crate) subjects: Vec<String>,
}

impl OidcIdentity {
    pub(crate) fn of(cert: &X509Certificate<'_>) -> Self {
        let mut subjects = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::RFC822Name(s) | GeneralName::URI(s) => {
                        subjects.push((*s).to_owned());
                    }
                    _ => {}
                }
            }
        }
        let mut issuer_v1 = None;
        let mut issuer_v2 = None;
        for ext in cert.extensions() {
            match ext.oid.to_id_string().as_str() {
                OID_FULCIO_ISSUER_V2 => {
                    issuer_v2 = x509_parser::der_parser::parse_der(ext.value)
                        .ok()
                        .and_then(|(_, obj)| obj.as_str().ok().map(str::to_owned));
                }
                OID_FULCIO_ISSUER_V1 => {
                    issuer_v1 = std::str::from_utf8(ext.value).ok().map(str::to_owned);
                }
                _ => {}
            }
        }
        Self {
            issuer: issuer_v2.or(issuer_v1),
            subjects,
        }
    }

    /// `None` when the identity matches, else why not.
    pub(crate) fn mismatch(&self, issuer: &str, subject: &Wildcard) -> Option<String> {
        match &self.issuer {
            Some(i) if i == issuer => {}
            Some(i) => {
                return Some(format!(
                    "the certificate was issued for OIDC issuer {i}, not {issuer}"
                ));
            }
            None => return Some("the certificate names no OIDC issuer".into()),
        }
        if self.subjects.iter().any(|s| subject.matches(s)) {
            None
        } else {
            Some(format!(
                "the certificate was issued to {}, which does not match {}",
                if self.subjects.is_empty() {
                    "no e-mail or URI".to_owned()
                } else {
                    self.subjects.join(", ")
                },
                subject.as_str()
            ))
        }
    }
}

/// One `trustedIdentities` entry of a Notary Project policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TrustedIdentity {
    /// `*`: any certificate chaining to the trust store.
    Any,
    /// `x509.subject: C=US, O=…`: attributes the leaf's subject must all have.
    Subject(Vec<(String, String)>),
}

impl TrustedIdentity {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text == "*" {
            return Ok(Self::Any);
        }
        let dn = text.strip_prefix("x509.subject:").ok_or_else(|| {
            format!("trusted identity `{text}` is neither `*` nor `x509.subject: …`")
        })?;
        let attributes = parse_dn(dn)?;
        if attributes.is_empty() {
            return Err(format!("trusted identity `{text}` names no attribute"));
        }
        Ok(Self::Subject(attributes))
    }

    /// Whether the certificate's subject has every attribute of this identity.
    pub(crate) fn matches(&self, cert: &X509Certificate<'_>) -> bool {
        match self {
            Self::Any => true,
            Self::Subject(wanted) => {
                let have = subject_attributes(cert);
                wanted.iter().all(|w| have.contains(w))
            }
        }
    }
}

/// `C=US, ST=WA, O=Example, CN=release` → pairs (commas inside values escaped as `\,`).
fn parse_dn(dn: &str) -> Result<Vec<(String, String)>, String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = dn.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            ',' => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (key, value) = p
                .split_once('=')
                .ok_or_else(|| format!("`{}` is not ATTRIBUTE=value", p.trim()))?;
            Ok((key.trim().to_ascii_uppercase(), value.trim().to_owned()))
        })
        .collect()
}

/// A certificate subject as (short attribute name, value) pairs.
pub(crate) fn subject_attributes(cert: &X509Certificate<'_>) -> Vec<(String, String)> {
    let registry = x509_parser::objects::oid_registry();
    cert.subject()
        .iter_attributes()
        .filter_map(|attr| {
            let name = x509_parser::objects::oid2abbrev(attr.attr_type(), registry)
                .map(str::to_owned)
                .unwrap_or_else(|_| attr.attr_type().to_id_string());
            let name = match name.as_str() {
                "stateOrProvinceName" => "ST".to_owned(),
                "localityName" => "L".to_owned(),
                "emailAddress" => "EMAILADDRESS".to_owned(),
                other => other.to_ascii_uppercase(),
            };
            attr.as_str().ok().map(|v| (name, v.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_treat_everything_but_star_literally() {
        let w = Wildcard::new(
            "https://github.com/example/*/.github/workflows/release.yaml@refs/heads/main",
        )
        .expect("pattern");
        assert!(w.matches(
            "https://github.com/example/payments/.github/workflows/release.yaml@refs/heads/main"
        ));
        assert!(!w.matches(
            "https://github.com/example/payments/.github/workflows/release.yaml@refs/heads/dev"
        ));
        let exact = Wildcard::new("ci@example.com?[x]").expect("pattern");
        assert!(exact.matches("ci@example.com?[x]"));
        assert!(!exact.matches("ci@example.comA[x]"));
    }

    #[test]
    fn trusted_identities_parse_as_attribute_sets() {
        assert_eq!(TrustedIdentity::parse("*"), Ok(TrustedIdentity::Any));
        assert_eq!(
            TrustedIdentity::parse("x509.subject: C=US, o=Example\\, Inc., CN=release"),
            Ok(TrustedIdentity::Subject(vec![
                ("C".into(), "US".into()),
                ("O".into(), "Example, Inc.".into()),
                ("CN".into(), "release".into()),
            ]))
        );
        assert!(TrustedIdentity::parse("CN=release").is_err());
        assert!(TrustedIdentity::parse("x509.subject: release").is_err());
    }
}
