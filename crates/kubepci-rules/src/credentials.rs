//! Recognising credentials in configuration: credential-like names, literal values versus
//! references and placeholders, vendor-default and trivially weak passwords, passwords in
//! URLs, well-known token formats, PEM private keys, and `key = value` lines inside embedded
//! configuration files.
//!
//! Nothing here returns a value: callers learn *that* something is a credential and *what
//! kind*, and report the field's name, never its content.

/// What a credential-like name designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CredentialName {
    /// A password or passphrase (`DB_PASSWORD`, `redis-pass`, `adminPwd`).
    Password,
    /// A token, secret, API or private key (`API_TOKEN`, `clientSecret`, `apiKey`).
    Secret,
}

/// Words that make a name a password.
const PASSWORD_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "passphrase",
    "passcode",
];
/// Words that make a name a secret.
const SECRET_WORDS: &[&str] = &[
    "secret",
    "secrets",
    "token",
    "apikey",
    "credential",
    "credentials",
    "privatekey",
    "secretkey",
    "accesskey",
    "clientsecret",
    "authkey",
    "masterkey",
    "signingkey",
    "encryptionkey",
];
/// Second words that, after the first, make a secret (`api key`, `private key`…).
const KEY_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("secret", "key"),
    ("access", "key"),
    ("client", "secret"),
    ("auth", "key"),
    ("master", "key"),
    ("signing", "key"),
    ("encryption", "key"),
    ("session", "key"),
];
/// Last words that make a credential-like name designate something else: where the secret
/// is (`PASSWORD_FILE`), its name, an identifier, a policy or a setting about it.
const NOT_A_VALUE: &[&str] = &[
    "file",
    "files",
    "path",
    "dir",
    "directory",
    "name",
    "names",
    "ref",
    "reference",
    "id",
    "length",
    "len",
    "min",
    "max",
    "minlength",
    "maxlength",
    "policy",
    "policies",
    "ttl",
    "timeout",
    "expiry",
    "expiration",
    "expires",
    "lifetime",
    "age",
    "header",
    "enabled",
    "enable",
    "disabled",
    "disable",
    "required",
    "type",
    "mode",
    "format",
    "algorithm",
    "algorithms",
    "url",
    "uri",
    "endpoint",
    "host",
    "port",
    "issuer",
    "audience",
    "scope",
    "scopes",
    "location",
    "provider",
    "source",
    "mount",
    "volume",
    "store",
    "namespace",
    "version",
    "count",
    "retries",
    "interval",
    "period",
    "rotation",
    "size",
    "bits",
    "field",
    "key", /* `TOKEN_KEY`: the key a token is stored under */
    "prefix",
    "suffix",
    "env",
    "var",
    "variable",
    "template",
    "regex",
    "pattern",
    "hash",
    "hashed",
    "salt",
    "cost",
    "rounds",
    "iterations",
    "method",
    "methods",
    "strategy",
    "backend",
    "manager",
    "reset",
    "change",
    "changed",
    "update",
    "hint",
    "label",
    "description",
    "placeholder",
    "example",
    "secretref",
    "selector",
    "class",
    "kind",
    "usage",
    "usages",
    "lookup",
    "cache",
    "dirs",
];

/// Whether text mentions a stem that every credential word contains (case-insensitive):
/// `pass`, `pwd`, `secret`, `token`, `key`, `credential`.
fn mentions_credential(text: &str) -> bool {
    const STEMS: [&[u8]; 6] = [b"pass", b"pwd", b"secret", b"token", b"key", b"credential"];
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, b)| {
        matches!(b.to_ascii_lowercase(), b'p' | b's' | b't' | b'k' | b'c')
            && STEMS.iter().any(|stem| {
                bytes
                    .get(i..i + stem.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(stem))
            })
    })
}

/// Splits a name into lower-case words at separators and camelCase boundaries:
/// `dbAdminPassword` → `db admin password`, `API_KEY` → `api key`.
pub(crate) fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Words that make a credential-like name a switch about credentials
/// (`MYSQL_ALLOW_EMPTY_PASSWORD`, `MYSQL_RANDOM_ROOT_PASSWORD`), not a credential.
const SWITCH_WORDS: &[&str] = &[
    "allow", "empty", "random", "generate", "skip", "require", "enable", "disable", "rotate",
    "expire", "reset", "no",
];

/// Whether a name (env var, data key, config key, flag) designates a credential value.
pub(crate) fn credential_name(name: &str) -> Option<CredentialName> {
    // Fast path: most names hold none of the stems every credential word contains.
    if !mentions_credential(name) {
        return None;
    }
    let words = words(name);
    if words.iter().any(|w| SWITCH_WORDS.contains(&w.as_str())) {
        return None;
    }
    // A designator after the credential word (`SECRET_NAME_ANNOTATION`, `PASSWORD_FILE_PATH`)
    // names something about the credential.
    let is_credential_word =
        |w: &str| PASSWORD_WORDS.contains(&w) || SECRET_WORDS.contains(&w) || w == "key";
    if let Some(at) = words.iter().rposition(|w| is_credential_word(w))
        && words[at + 1..]
            .iter()
            .any(|w| NOT_A_VALUE.contains(&w.as_str()) && w != "key")
    {
        return None;
    }
    let last = words.last()?;
    if NOT_A_VALUE.contains(&last.as_str()) && !KEY_PAIRS.iter().any(|(_, b)| b == last) {
        return None;
    }
    // `…_KEY` names are secrets only when a pair says so (`API_KEY`, not `CACHE_KEY`).
    if last == "key" {
        let n = words.len();
        let paired = n >= 2
            && KEY_PAIRS
                .iter()
                .any(|(a, b)| *a == words[n - 2] && *b == "key");
        return paired.then_some(CredentialName::Secret);
    }
    // Whole words, or run-together names (`PGPASSWORD`, `webhooksecret`, `authtoken`).
    let has = |list: &[&str], w: &str| {
        list.contains(&w) || list.iter().any(|l| l.len() >= 5 && w.ends_with(l))
    };
    if words.iter().any(|w| has(PASSWORD_WORDS, w)) {
        return Some(CredentialName::Password);
    }
    if words.iter().any(|w| has(SECRET_WORDS, w))
        || words
            .windows(2)
            .any(|p| KEY_PAIRS.iter().any(|(a, b)| *a == p[0] && *b == p[1]))
    {
        return Some(CredentialName::Secret);
    }
    None
}

/// Whether a value is a reference, a template or a placeholder rather than a literal
/// credential: `$(VAR)`, `${VAR}`, `{{ .Values.x }}`, `<your-token>`, `ENC[…]` (SOPS),
/// `vault:…`, a file path, `REPLACE_ME`.
pub(crate) fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    // Structured values (`{`, `|-`) and code (`os.environ["TOKEN"]`, `getenv("X")`).
    if v.starts_with(['{', '[', '|', '>'])
        || lower.contains("environ")
        || lower.contains("getenv")
        || lower.contains("process.env")
        || (v.contains('(') && v.ends_with(')'))
    {
        return true;
    }
    v.contains("${")
        || v.contains("$(")
        || v.contains("{{")
        || v.contains("%(")
        || v.starts_with('$')
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('[') && v.ends_with(']'))
        || v.starts_with("ENC[")
        || v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("~/")
        || v.starts_with("file:")
        || v.starts_with("env:")
        || v.starts_with("vault:")
        || v.starts_with("ref+")
        || v.starts_with("secretref")
        || v.starts_with("arn:")
        || v.bytes()
            .all(|b| b == b'*' || b == b'x' || b == b'X' || b == b'.')
        || [
            "replace_me",
            "replaceme",
            "replace-me",
            "todo",
            "tbd",
            "fixme",
            "redacted",
            "<redacted>",
            "none",
            "null",
            "nil",
            "~",
            "true",
            "false",
            "yes",
            "no",
            "on",
            "off",
            "unset",
            "undefined",
            "empty",
            "placeholder",
            "dummy",
            "your-password",
            "your_password",
            "yourpassword",
            "your-token",
            "your_token",
            "your-api-key",
            "your_api_key",
        ]
        .contains(&lower.as_str())
        || lower.starts_with("replace")
        || lower.starts_with("insert")
        || lower.starts_with("your-")
        || lower.starts_with("your_")
}

/// Whether a value set for a credential-named field looks like a literal credential: not a
/// placeholder or reference, not the field's own name (`HF_TOKEN=HF_TOKEN`), not a number (a
/// setting such as a length), not multi-line text, not a URL without a password.
pub(crate) fn is_literal_credential(name: Option<&str>, value: &str) -> bool {
    let v = value.trim();
    !is_placeholder(v)
        && name.is_none_or(|n| !n.eq_ignore_ascii_case(v))
        && !v
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && !v.contains('\n')
        && (!looks_like_url(v) || url_has_password(v))
}

fn looks_like_url(v: &str) -> bool {
    v.split_once("://")
        .is_some_and(|(scheme, _)| !scheme.is_empty() && scheme.bytes().all(is_scheme_byte))
}

fn is_scheme_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.'
}

/// Vendor default passwords of common products, images and charts, and passwords that are
/// nothing but a word from this list (compared case-insensitively).
const VENDOR_DEFAULTS: &[&str] = &[
    // generic and product defaults
    "admin",
    "administrator",
    "root",
    "toor",
    "password",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "pass",
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "secret",
    "letmein",
    "default",
    "guest",
    "test",
    "user",
    "welcome",
    "master",
    "manager",
    "qwerty",
    "abc123",
    "admin123",
    "admin1234",
    "root123",
    "test123",
    "secret123",
    "supersecret",
    "s3cr3t",
    "mypassword",
    "letmein123",
    "trustno1",
    "iloveyou",
    // databases and their images (postgres, mysql/mariadb, mongo, redis, elastic, …)
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongo",
    "mongodb",
    "redis",
    "elastic",
    "elasticsearch",
    "kibana",
    "neo4j",
    "cassandra",
    "couchbase",
    "oracle",
    "sa",
    "sysadmin",
    "superuser",
    // queues, storage, CI and platform products
    "rabbitmq",
    "minioadmin",
    "minio123",
    "tomcat",
    "jenkins",
    "sonar",
    "nexus",
    "harbor12345",
    "prom-operator",
    "grafana",
    "bitnami",
    "airflow",
    "keycloak",
    "zabbix",
    "vagrant",
    "ubnt",
    "raspberry",
];

/// Whether a password is a vendor default, or trivially weak: a repeated character, a digit or
/// keyboard sequence, a default word followed by digits or punctuation (`Password1!`), or a
/// numeric PIN. Returns the label messages use ("a vendor default password" …).
pub(crate) fn weak_password(value: &str) -> Option<&'static str> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let lower = v.to_ascii_lowercase();
    if VENDOR_DEFAULTS.contains(&lower.as_str()) {
        return Some("a vendor default password");
    }
    let bytes = lower.as_bytes();
    if bytes.len() >= 3 && bytes.iter().all(|b| *b == bytes[0]) {
        return Some("a trivially weak password (one repeated character)");
    }
    const SEQUENCES: &[&str] = &[
        "01234567890",
        "12345678901234567890",
        "09876543210",
        "abcdefghijklmnopqrstuvwxyz",
        "qwertyuiop",
        "asdfghjkl",
        "zxcvbnm",
        "1q2w3e4r5t6y",
        "qazwsxedc",
    ];
    if bytes.len() >= 4 && SEQUENCES.iter().any(|s| s.contains(lower.as_str())) {
        return Some("a trivially weak password (a keyboard or digit sequence)");
    }
    if bytes.len() <= 8 && bytes.iter().all(u8::is_ascii_digit) {
        return Some("a trivially weak password (a short number)");
    }
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    if stem.len() < lower.len() && VENDOR_DEFAULTS.contains(&stem) && stem.len() >= 4 {
        return Some("a trivially weak password (a default word with digits appended)");
    }
    None
}

/// Whether text holds a URL with a password in its user info (`postgres://app:pw@db/app`),
/// the password being a literal (not `$(DB_PASSWORD)`).
pub(crate) fn url_has_password(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let scheme_ok = rest[..i]
            .bytes()
            .next_back()
            .is_some_and(|b| b.is_ascii_alphanumeric());
        let after = &rest[i + 3..];
        let authority_end = after
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\''
            })
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        if scheme_ok
            && let Some((userinfo, _host)) = authority.rsplit_once('@')
            && let Some((_user, password)) = userinfo.split_once(':')
            && !password.is_empty()
            && !is_placeholder(password)
            && !password.contains('$')
        {
            return true;
        }
        rest = after;
    }
    false
}

/// Well-known token formats, by a prefix and the length and alphabet of what follows.
pub(crate) fn known_token(text: &str) -> Option<&'static str> {
    // (prefix, minimum length of the rest, label)
    const TOKENS: &[(&str, usize, &str)] = &[
        ("ghp_", 36, "a GitHub personal access token"),
        ("gho_", 36, "a GitHub OAuth token"),
        ("ghs_", 36, "a GitHub app token"),
        ("github_pat_", 40, "a GitHub fine-grained token"),
        ("glpat-", 20, "a GitLab personal access token"),
        ("xoxb-", 20, "a Slack bot token"),
        ("xoxp-", 20, "a Slack user token"),
        ("sk_live_", 20, "a Stripe live secret key"),
        ("rk_live_", 20, "a Stripe live restricted key"),
        ("AIza", 35, "a Google API key"),
        ("SG.", 40, "a SendGrid API key"),
        ("npm_", 36, "an npm access token"),
    ];
    for (prefix, min, label) in TOKENS {
        let mut from = 0;
        while let Some(i) = text[from..].find(prefix) {
            let at = from + i;
            let before_ok = at == 0 || !text.as_bytes()[at - 1].is_ascii_alphanumeric();
            let rest = &text[at + prefix.len()..];
            let run = rest
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-' || *b == b'.')
                .count();
            if before_ok && run >= *min {
                let body = &rest[..run];
                // A run of one repeated character is an example, not a token.
                if body.bytes().any(|b| b != body.as_bytes()[0]) {
                    return Some(label);
                }
            }
            from = at + prefix.len();
        }
    }
    None
}

/// The kind of PEM private key block in text, if any ("an RSA private key", …).
pub(crate) fn private_key_block(text: &str) -> Option<&'static str> {
    let at = text.find("PRIVATE KEY")?;
    let line_start = text[..at].rfind("-----BEGIN ")?;
    // The BEGIN marker must be on the same line as PRIVATE KEY.
    if text[line_start..at].contains('\n') {
        return None;
    }
    let label = &text[line_start + "-----BEGIN ".len()..at];
    let kind = match label.trim() {
        "RSA" => "an RSA private key",
        "EC" => "an EC private key",
        "DSA" => "a DSA private key",
        "OPENSSH" => "an OpenSSH private key",
        "ENCRYPTED" => "an encrypted private key",
        "PGP" => "a PGP private key",
        "" => "a private key",
        _ => "a private key",
    };
    Some(kind)
}

/// One `key = value` / `key: value` assignment inside embedded configuration text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assignment<'a> {
    /// The key as written (dotted keys kept: `spring.datasource.password`).
    pub(crate) key: &'a str,
    /// The value, unquoted.
    pub(crate) value: &'a str,
    /// 1-based line within the text.
    pub(crate) line: usize,
}

/// `key = value`, `key: value`, `"key": "value",` and `export KEY=value` lines of embedded
/// configuration (properties, INI, YAML, JSON one-per-line, dotenv, shell).
pub(crate) fn assignments(text: &str) -> impl Iterator<Item = Assignment<'_>> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let line = line.trim_start();
        let line = line.strip_prefix("export ").unwrap_or(line);
        let line = line.strip_prefix("- ").unwrap_or(line);
        if line.starts_with('#') || line.starts_with("//") || line.starts_with(';') {
            return None;
        }
        let sep = line.find([':', '='])?;
        let key = line[..sep].trim().trim_matches(|c| c == '"' || c == '\'');
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return None;
        }
        let mut value = line[sep + 1..].trim();
        // `key := value`, `key == value` are not assignments of a literal.
        if value.starts_with('=') {
            return None;
        }
        value = value.trim_end_matches(',').trim_end();
        let value = if let Some(q) = value.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let inner = &value[1..];
            inner.find(q).map_or(inner, |end| &inner[..end])
        } else {
            // Drop a trailing comment.
            value.split(" #").next().unwrap_or(value).trim()
        };
        Some(Assignment {
            key,
            value,
            line: i + 1,
        })
    })
}

/// A credential assigned a value inside embedded configuration text: `(key, value, line)`
/// for every assignment whose key is credential-like and whose value is literal.
pub(crate) fn embedded_credentials(text: &str) -> impl Iterator<Item = Assignment<'_>> {
    // Cheap pre-filter: most embedded files (dashboards, scripts) have no credential key.
    assignments(if mentions_credential(text) { text } else { "" })
        .filter(|a| credential_name(a.key).is_some() && !a.value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        use CredentialName::*;
        for (name, want) in [
            ("DB_PASSWORD", Some(Password)),
            ("dbAdminPassword", Some(Password)),
            ("redis-pass", Some(Password)),
            ("MYSQL_ROOT_PASSWORD", Some(Password)),
            ("API_KEY", Some(Secret)),
            ("apiKey", Some(Secret)),
            ("STRIPE_SECRET_KEY", Some(Secret)),
            ("GITHUB_TOKEN", Some(Secret)),
            ("clientSecret", Some(Secret)),
            ("AWS_SECRET_ACCESS_KEY", Some(Secret)),
            ("spring.datasource.password", Some(Password)),
            ("PASSWORD_FILE", None),
            ("POSTGRES_PASSWORD_FILE", None),
            ("TOKEN_PATH", None),
            ("SECRET_NAME", None),
            ("AWS_ACCESS_KEY_ID", None),
            ("PASSWORD_MIN_LENGTH", None),
            ("TOKEN_TTL", None),
            ("CACHE_KEY", None),
            ("SORT_KEY", None),
            ("PWD_DIR", None),
            ("OAUTH_TOKEN_URL", None),
            ("HOSTNAME", None),
            ("BYPASS", None),
            ("PASS_HOST_HEADER", None),
            ("KEY", None),
            ("PGPASSWORD", Some(Password)),
            ("webhooksecret", Some(Secret)),
            ("SLACK_AUTHTOKEN", Some(Secret)),
            ("COMPASS", None),
            ("MYSQL_ALLOW_EMPTY_PASSWORD", None),
            ("MYSQL_RANDOM_ROOT_PASSWORD", None),
            ("storageSecretNameAnnotation", None),
            ("PASSWORD_FILE_PATH", None),
            ("s3AccessKeyIdName", None),
        ] {
            assert_eq!(credential_name(name), want, "{name}");
        }
    }

    #[test]
    fn placeholders_and_literals() {
        for v in [
            "",
            "$(DB_PASSWORD)",
            "${DB_PASSWORD}",
            "{{ .Values.password }}",
            "<your-token>",
            "ENC[AES256_GCM,data:abc]",
            "/var/run/secrets/token",
            "REPLACE_ME",
            "********",
            "true",
            "vault:secret/data/db#password",
        ] {
            assert!(is_placeholder(v), "{v}");
            assert!(!is_literal_credential(None, v), "{v}");
        }
        for v in ["hunter2", "s3cr3t-Value", "xK9#mQ2$vL"] {
            assert!(is_literal_credential(None, v), "{v}");
        }
        assert!(!is_literal_credential(None, "12"));
        assert!(!is_literal_credential(
            None,
            "https://auth.example.com/token"
        ));
        assert!(is_literal_credential(None, "https://u:hunter2@example.com"));
        assert!(!is_literal_credential(Some("HF_TOKEN"), "HF_TOKEN"));
        for code in [
            "os.environ[\"HF_TOKEN\"]",
            "getenv(\"X\")",
            "{",
            "|-",
            "load_secret()",
        ] {
            assert!(!is_literal_credential(None, code), "{code}");
        }
    }

    #[test]
    fn weak_passwords() {
        for v in [
            "admin",
            "Admin",
            "postgres",
            "changeme",
            "changeit",
            "123456",
            "1234",
            "aaaaaa",
            "qwerty",
            "Password1!",
            "admin123",
            "prom-operator",
            "Harbor12345",
            "minioadmin",
            "abcdef",
            "letmein",
        ] {
            assert!(weak_password(v).is_some(), "{v}");
        }
        for v in [
            "xK9#mQ2$vL7p",
            "correct horse battery staple",
            "7f3a9c1e5b",
            "857392016482",
        ] {
            assert!(weak_password(v).is_none(), "{v}");
        }
        assert_eq!(weak_password("postgres"), Some("a vendor default password"));
    }

    #[test]
    fn urls_with_passwords() {
        assert!(url_has_password("postgres://app:hunter2@db:5432/app"));
        assert!(url_has_password("url=amqp://guest:guest@rabbit:5672/"));
        assert!(!url_has_password("postgres://app@db:5432/app"));
        assert!(!url_has_password("postgres://app:$(DB_PASSWORD)@db/app"));
        assert!(!url_has_password("https://example.com/a:b@c"));
        assert!(!url_has_password("redis://:${REDIS_PASSWORD}@redis:6379"));
        assert!(!url_has_password("http://example.com"));
    }

    #[test]
    fn tokens() {
        // An AWS access key ID is an identifier; its secret half has no prefix.
        assert_eq!(known_token("key=AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(
            known_token("ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"),
            Some("a GitHub personal access token")
        );
        assert_eq!(
            known_token("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
            None
        );
        assert_eq!(known_token("sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"), None);
        assert_eq!(known_token("nothing here"), None);
    }

    #[test]
    fn private_keys() {
        assert_eq!(
            private_key_block("x\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n"),
            Some("an RSA private key")
        );
        assert_eq!(
            private_key_block("-----BEGIN PRIVATE KEY-----"),
            Some("a private key")
        );
        assert_eq!(private_key_block("-----BEGIN CERTIFICATE-----"), None);
        assert_eq!(private_key_block("the PRIVATE KEY field"), None);
    }

    #[test]
    fn embedded_assignments() {
        let text = "# db\nspring.datasource.password=hunter2\nusername: app\n  \"apiKey\": \"k-123\",\nexport TOKEN='abc'\npassword_file = /etc/pw\nx == y\n";
        let got: Vec<(&str, &str, usize)> = embedded_credentials(text)
            .map(|a| (a.key, a.value, a.line))
            .collect();
        assert_eq!(
            got,
            [
                ("spring.datasource.password", "hunter2", 2),
                ("apiKey", "k-123", 4),
                ("TOKEN", "abc", 5),
            ]
        );
    }
}
