//! String matching for the operators: `glob` (fnmatch without flags: `*` also matches `/`),
//! `pmatch` (path prefixes, component by component, whose components may be globs) and
//! ASCII case-insensitive search (`icontains`).

/// Whether `text` matches the glob `pattern` (`*`, `?`, `[abc]`, `[a-z]`, `[!a]`, `\x`).
#[must_use]
pub fn glob_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern index after it, text index it covers to).
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star = Some((pi + 1, ti));
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = class(p, pi, t[ti], ignore_case) {
                        if matched {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    } else if eq(b'[', t[ti], ignore_case) {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                b'\\' if pi + 1 < p.len() => {
                    if eq(p[pi + 1], t[ti], ignore_case) {
                        pi += 2;
                        ti += 1;
                        continue;
                    }
                }
                c => {
                    if eq(c, t[ti], ignore_case) {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

fn eq(a: u8, b: u8, ignore_case: bool) -> bool {
    if ignore_case {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// Matches `c` against the bracket expression starting at `p[start] == b'['`. Returns whether
/// it matched and the index after `]`, or `None` when the bracket is not closed.
fn class(p: &[u8], start: usize, c: u8, ignore_case: bool) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let lo = p[i];
        if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|&b| b != b']') {
            let hi = p[i + 2];
            let within = |x: u8| lo <= x && x <= hi;
            if within(c)
                || (ignore_case
                    && (within(c.to_ascii_lowercase()) || within(c.to_ascii_uppercase())))
            {
                matched = true;
            }
            i += 3;
        } else {
            if eq(lo, c, ignore_case) {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// Whether `path` is `prefix` or lies below it, component by component (`/var/run` covers
/// `/var/run/x` but not `/var/runner`); components of the prefix may be globs.
#[must_use]
pub fn path_prefix_match(prefix: &str, path: &str) -> bool {
    let mut want = prefix.split('/').filter(|c| !c.is_empty());
    let mut have = path.split('/').filter(|c| !c.is_empty());
    if prefix.starts_with('/') != path.starts_with('/') {
        return false;
    }
    loop {
        match (want.next(), have.next()) {
            (None, _) => return true,
            (Some(_), None) => return false,
            (Some(w), Some(h)) => {
                let ok = if w.contains(['*', '?', '[']) {
                    glob_match(w, h, false)
                } else {
                    w == h
                };
                if !ok {
                    return false;
                }
            }
        }
    }
}

/// ASCII case-insensitive substring search (`strcasestr`).
#[must_use]
pub fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    if n.len() > h.len() {
        return false;
    }
    h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("/proc*", "/proc/1", false));
        assert!(glob_match("*.sh", "a/b/run.sh", false));
        assert!(glob_match("a?c", "abc", false));
        assert!(!glob_match("a?c", "ac", false));
        assert!(glob_match("[a-c]x", "bx", false));
        assert!(glob_match("[!a-c]x", "dx", false));
        assert!(!glob_match("[!a-c]x", "ax", false));
        assert!(glob_match("\\*", "*", false));
        assert!(!glob_match("\\*", "a", false));
        assert!(glob_match("*a*b*c*", "xxaybzzc", false));
        assert!(!glob_match("*a*b*c", "xxaybzzcd", false));
        assert!(glob_match("SYSTEM:*", "system:anonymous", true));
        assert!(glob_match("", "", false));
        assert!(!glob_match("", "x", false));
        assert!(glob_match("[", "[", false));
    }

    #[test]
    fn path_prefixes() {
        assert!(path_prefix_match("/var/run", "/var/run"));
        assert!(path_prefix_match("/var/run", "/var/run/docker.sock"));
        assert!(!path_prefix_match("/var/run", "/var/runner"));
        assert!(path_prefix_match("/var/*/x", "/var/lib/x/y"));
        assert!(path_prefix_match("/", "/etc"));
        assert!(!path_prefix_match("/etc", "etc"));
    }

    #[test]
    fn icontains() {
        assert!(contains_ignore_case("PassWord=1", "password"));
        assert!(!contains_ignore_case("pass", "password"));
    }

    proptest::proptest! {
        #[test]
        fn glob_of_literal_is_equality(s in "[a-z/.]{0,12}", t in "[a-z/.]{0,12}") {
            proptest::prop_assert_eq!(glob_match(&s, &t, false), s == t);
            proptest::prop_assert!(glob_match("*", &t, false));
        }
    }
}
