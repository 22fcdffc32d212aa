//! Container image references (`[registry/]repository[:tag][@digest]`), normalised the way
//! the container runtime resolves them: Docker Hub short names become
//! `docker.io/library/…`, `index.docker.io` and `registry-1.docker.io` become `docker.io`.

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// The registry host (`docker.io` when the reference names none).
    pub(crate) registry: String,
    /// The repository path within the registry (`library/nginx` for `nginx`).
    pub(crate) repository: String,
    /// The tag, if any.
    pub(crate) tag: Option<&'a str>,
    /// The digest (`sha256:…`), if any.
    pub(crate) digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// Parses an image reference. `None` for what names no image: empty or malformed
    /// references, unrendered templates (`${IMAGE}`, `$(IMAGE)`, `{{ .Values.image }}`,
    /// `<PROJECT_ID>`), build-tool references (`ko://…`) and Istio's injection placeholder
    /// `auto`.
    pub(crate) fn parse(image: &'a str) -> Option<Self> {
        let image = image.trim();
        let valid =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@');
        if image.is_empty()
            || image == "auto"
            || !image.chars().all(valid)
            || image.contains("://")
            || image.starts_with('/')
            || image.contains("//")
            || image.ends_with(':')
            || image.ends_with('@')
        {
            return None;
        }
        let (name, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest).filter(|d| !d.is_empty())),
            None => (image, None),
        };
        let slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[slash..].rfind(':') {
            Some(i) => (
                &name[..slash + i],
                Some(&name[slash + i + 1..]).filter(|t| !t.is_empty()),
            ),
            None => (name, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_ascii_lowercase(), rest.to_owned())
            }
            _ => ("docker.io".to_owned(), name.to_owned()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
                "docker.io".to_owned()
            }
            _ => registry,
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if repository.is_empty() {
            return None;
        }
        Some(Self {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// `registry/repository`, e.g. `docker.io/library/nginx`.
    pub(crate) fn full_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The last path segment of the repository (`nginx`, `fluent-bit`).
    pub(crate) fn basename(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }

    /// Whether the reference is pinned by a digest.
    pub(crate) fn is_pinned(&self) -> bool {
        self.digest.is_some()
    }

    /// Whether the image lives under `prefix`: the whole name, or a path below it. A prefix
    /// matches at a `/` boundary only, so `registry.example.com` never matches
    /// `registry.example.com.evil.io/app`. Docker Hub prefixes are normalised like images
    /// (`nginx` → `docker.io/library/nginx`, `docker.io/bitnami/` as written).
    pub(crate) fn is_under(&self, prefix: &str) -> bool {
        let prefix = normalise_prefix(prefix);
        if prefix.is_empty() {
            return false;
        }
        let full = self.full_name();
        full == prefix
            || full
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// A registry or repository prefix from configuration, normalised for matching: no trailing
/// `/`, lowercase host, Docker Hub aliases folded into `docker.io`.
pub(crate) fn normalise_prefix(prefix: &str) -> String {
    let written = prefix.trim();
    let prefix = written.trim_end_matches('/');
    if prefix.is_empty() {
        return String::new();
    }
    let (host, rest) = prefix.split_once('/').unwrap_or((prefix, ""));
    let host_lower = host.to_ascii_lowercase();
    let is_host = host.contains('.') || host.contains(':') || host == "localhost";
    if !is_host {
        // A Docker Hub path without a host: `nginx` (an official image) or `bitnami/`.
        return if written.contains('/') {
            format!("docker.io/{prefix}")
        } else {
            format!("docker.io/library/{prefix}")
        };
    }
    let host = match host_lower.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => "docker.io",
        h => h,
    };
    if rest.is_empty() {
        host.to_owned()
    } else {
        format!("{host}/{rest}")
    }
}

/// The first of `prefixes` the image lives under.
pub(crate) fn first_prefix<'p>(image: &ImageRef<'_>, prefixes: &'p [String]) -> Option<&'p str> {
    prefixes
        .iter()
        .map(String::as_str)
        .find(|p| image.is_under(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> ImageRef<'_> {
        ImageRef::parse(s).expect("image")
    }

    #[test]
    fn docker_hub_short_names_are_normalised() {
        let i = parse("nginx");
        assert_eq!(i.full_name(), "docker.io/library/nginx");
        assert_eq!(i.tag, None);
        let i = parse("bitnami/redis:7.2");
        assert_eq!(i.full_name(), "docker.io/bitnami/redis");
        assert_eq!(i.tag, Some("7.2"));
        assert_eq!(
            parse("index.docker.io/library/nginx:1").full_name(),
            "docker.io/library/nginx"
        );
    }

    #[test]
    fn registries_ports_tags_and_digests() {
        let i = parse("localhost:5000/team/app:1.0@sha256:abc");
        assert_eq!(i.registry, "localhost:5000");
        assert_eq!(i.repository, "team/app");
        assert_eq!(i.tag, Some("1.0"));
        assert_eq!(i.digest, Some("sha256:abc"));
        assert_eq!(i.basename(), "app");
        let i = parse("registry.example.com:443/app");
        assert_eq!(i.registry, "registry.example.com:443");
        assert_eq!(i.tag, None);
        assert!(parse("gcr.io/x/y@sha256:1").is_pinned());
    }

    #[test]
    fn prefixes_match_at_path_boundaries_only() {
        let evil = parse("registry.example.com.evil.io/app:1");
        assert!(!evil.is_under("registry.example.com/"));
        assert!(!evil.is_under("registry.example.com"));
        let good = parse("registry.example.com/payments/api:1");
        assert!(good.is_under("registry.example.com/"));
        assert!(good.is_under("REGISTRY.example.com"));
        assert!(good.is_under("registry.example.com/payments"));
        assert!(!good.is_under("registry.example.com/pay"));
        assert!(good.is_under("registry.example.com/payments/api"));
        assert!(parse("nginx:1.25").is_under("docker.io/library/"));
        assert!(parse("nginx:1.25").is_under("nginx"));
        assert!(parse("bitnami/redis").is_under("docker.io/bitnami/"));
        assert!(parse("bitnami/redis").is_under("bitnami/"));
        assert!(!parse("bitnamilegacy/redis").is_under("bitnami/"));
        assert!(parse("docker.io/bitnami/redis").is_under("index.docker.io/bitnami"));
        assert!(!good.is_under(""));
        assert!(!good.is_under("/"));
    }

    #[test]
    fn templates_and_empty_references_are_skipped() {
        assert!(ImageRef::parse("").is_none());
        assert!(ImageRef::parse("${REGISTRY}/app:1").is_none());
        assert!(ImageRef::parse("$(IMAGE)").is_none());
        assert!(ImageRef::parse("{{ .Values.image }}").is_none());
        assert!(ImageRef::parse("registry.example.com/").is_none());
        assert!(ImageRef::parse("/proxyv2:").is_none());
        assert!(ImageRef::parse("ko://knative.dev/serving/cmd/queue").is_none());
        assert!(ImageRef::parse("$IMAGE_URL").is_none());
        assert!(ImageRef::parse("us-docker.pkg.dev/<PROJECT_ID>/app:1").is_none());
        assert!(ImageRef::parse("auto").is_none());
    }
}
