//! Primary account number (PAN) detection.
//!
//! [`find`] scans text for card numbers: 13 to 19 digits, either contiguous or in groups
//! separated by single spaces or dashes (`4111 1111 1111 1111`, `3782-822463-10005`), that
//! pass the Luhn check and start with a known issuer prefix at a length that issuer uses.
//!
//! It is built to keep false positives away on the long numbers configuration is full of:
//! - a candidate must stand alone: no letter, digit or `_` right before or after it (hex
//!   digests, UUIDs and identifiers never match), and no `+` before it (phone numbers);
//! - a decimal fraction or a dotted number (`0.4111…`, `1.2.4111…`, IP addresses) is skipped;
//! - a contiguous run longer than 19 digits is one long number, never a card number inside it;
//! - separated groups must look like a printed card (first group of 4 digits, then groups of
//!   4, or the 4-6-5 / 4-6-4 layout of Amex and Diners);
//! - timestamps in seconds, milliseconds, microseconds or nanoseconds and snowflake IDs start
//!   with `1`, which no card issuer uses.
//!
//! A match never exposes the full number through `Debug` or `Display`: callers show
//! [`PanMatch::masked`] (first 6 and last 4 digits, PCI DSS 3.4.1).

use std::fmt;

/// The card brand an issuer prefix belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Brand {
    /// Visa (4).
    Visa,
    /// Mastercard (51–55, 2221–2720).
    Mastercard,
    /// American Express (34, 37).
    Amex,
    /// Discover (6011, 622126–622925, 644–649, 65).
    Discover,
    /// JCB (3528–3589).
    Jcb,
    /// Diners Club (300–305, 3095, 36, 38, 39).
    DinersClub,
    /// UnionPay (62).
    UnionPay,
    /// Maestro (5018, 5020, 5038, 5893, 6304, 6759, 6761–6763).
    Maestro,
    /// Mir (2200–2204).
    Mir,
}

impl Brand {
    /// How messages name the brand.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Brand::Visa => "Visa",
            Brand::Mastercard => "Mastercard",
            Brand::Amex => "American Express",
            Brand::Discover => "Discover",
            Brand::Jcb => "JCB",
            Brand::DinersClub => "Diners Club",
            Brand::UnionPay => "UnionPay",
            Brand::Maestro => "Maestro",
            Brand::Mir => "Mir",
        }
    }
}

impl fmt::Display for Brand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest PAN (ISO/IEC 7812).
pub const MAX_DIGITS: usize = 19;
/// The shortest PAN this detector reports.
pub const MIN_DIGITS: usize = 13;

/// A card number found in text. Its `Debug` output is masked.
#[derive(Clone, PartialEq, Eq)]
pub struct PanMatch {
    /// Byte offset of the first digit in the scanned text.
    pub start: usize,
    /// Byte offset just past the last digit.
    pub end: usize,
    digits: [u8; MAX_DIGITS],
    len: u8,
    /// The issuer's brand.
    pub brand: Brand,
    /// Whether this is a well-known test number (or an obviously synthetic one).
    pub test: bool,
}

impl PanMatch {
    /// The digits (ASCII), without separators. Never print them: use [`PanMatch::masked`].
    #[must_use]
    pub fn digits(&self) -> &[u8] {
        &self.digits[..usize::from(self.len)]
    }

    /// The masked form: first 6 and last 4 digits, `*` in between (`411111******1111`).
    #[must_use]
    pub fn masked(&self) -> String {
        mask(self.digits())
    }

    /// Number of digits.
    #[must_use]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Always `false`: a match has at least [`MIN_DIGITS`] digits.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for PanMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanMatch")
            .field("start", &self.start)
            .field("end", &self.end)
            .field("masked", &self.masked())
            .field("brand", &self.brand)
            .field("test", &self.test)
            .finish()
    }
}

/// Masks a digit string: the first 6 and last 4 digits stay, the others become `*`. Strings
/// of 10 digits or fewer are masked entirely but for the last 4 (never more than PCI DSS
/// 3.4.1 allows). Non-digits are dropped.
#[must_use]
pub fn mask(digits: &[u8]) -> String {
    let digits: Vec<u8> = digits.iter().copied().filter(u8::is_ascii_digit).collect();
    let n = digits.len();
    let (head, tail) = if n > 10 { (6, 4) } else { (0, n.min(4)) };
    let mut out = String::with_capacity(n);
    for (i, d) in digits.iter().enumerate() {
        if i < head || i >= n - tail {
            out.push(char::from(*d));
        } else {
            out.push('*');
        }
    }
    out
}

/// The Luhn (mod 10) check over ASCII digits.
#[must_use]
pub fn luhn_valid(digits: &[u8]) -> bool {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The leading `n` digits as a number.
fn prefix(digits: &[u8], n: usize) -> u32 {
    digits
        .iter()
        .take(n)
        .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

/// The brand of a digit string, if its prefix and length are an issuer's.
#[must_use]
pub fn brand_of(digits: &[u8]) -> Option<Brand> {
    let len = digits.len();
    if !(MIN_DIGITS..=MAX_DIGITS).contains(&len) || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let p1 = prefix(digits, 1);
    let p2 = prefix(digits, 2);
    let p3 = prefix(digits, 3);
    let p4 = prefix(digits, 4);
    let p6 = prefix(digits, 6);
    let in_len = |lo: usize, hi: usize| (lo..=hi).contains(&len);
    let brand = if p1 == 4 {
        matches!(len, 13 | 16 | 19).then_some(Brand::Visa)?
    } else if matches!(p4, 5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761..=6763) {
        Brand::Maestro
    } else if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) {
        (len == 16).then_some(Brand::Mastercard)?
    } else if (2200..=2204).contains(&p4) {
        in_len(16, 19).then_some(Brand::Mir)?
    } else if p2 == 34 || p2 == 37 {
        (len == 15).then_some(Brand::Amex)?
    } else if p4 == 6011
        || (622_126..=622_925).contains(&p6)
        || (644..=649).contains(&p3)
        || p2 == 65
    {
        in_len(16, 19).then_some(Brand::Discover)?
    } else if p2 == 62 {
        in_len(16, 19).then_some(Brand::UnionPay)?
    } else if (3528..=3589).contains(&p4) {
        in_len(16, 19).then_some(Brand::Jcb)?
    } else if (300..=305).contains(&p3) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39 {
        in_len(14, 19).then_some(Brand::DinersClub)?
    } else {
        return None;
    };
    Some(brand)
}

/// Well-known test card numbers published by card networks and payment gateways for
/// integration testing. A unit test checks that every entry passes Luhn and has a brand.
pub const TEST_NUMBERS: &[&str] = &[
    "4111111111111111",
    "4242424242424242",
    "4012888888881881",
    "4222222222222",
    "4000056655665556",
    "4000000000000002",
    "4000000000000010",
    "4000000000000028",
    "4000000000000036",
    "4000000000000069",
    "4000000000000077",
    "4000000000000093",
    "4000000000000101",
    "4000000000000119",
    "4000000000000127",
    "4000000000000341",
    "4000000000003220",
    "4000000000009995",
    "4005519200000004",
    "4009348888881881",
    "4012000033330026",
    "4012000077777777",
    "4217651111111119",
    "4500600000000061",
    "4917610000000000",
    "4988438843884305",
    "5555555555554444",
    "5105105105105100",
    "5200828282828210",
    "5454545454545454",
    "5500000000000004",
    "5425233430109903",
    "5555341244441115",
    "2223003122003222",
    "2222400070000005",
    "2223000048400011",
    "378282246310005",
    "371449635398431",
    "378734493671000",
    "340000000000009",
    "370000000000002",
    "6011111111111117",
    "6011000990139424",
    "6011000000000004",
    "6011601160116611",
    "3530111333300000",
    "3566002020360505",
    "3566111111111113",
    "30569309025904",
    "38520000023237",
    "36227206271667",
    "3056930009020004",
    "36006666333344",
    "6200000000000005",
    "6250941006528599",
    "6759649826438453",
];

/// Whether a number is a well-known test number, or so regular (three different digits or
/// fewer: `4111…`, `5555…4444`) that it is a placeholder rather than an issued card.
fn is_test_number(digits: &[u8]) -> bool {
    let mut seen = [false; 10];
    for d in digits {
        seen[usize::from(d - b'0')] = true;
    }
    seen.iter().filter(|s| **s).count() <= 3 || TEST_NUMBERS.iter().any(|t| t.as_bytes() == digits)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Reads a run of digits starting at `i`; returns its end.
fn digit_run(bytes: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < bytes.len() && bytes[j].is_ascii_digit() {
        j += 1;
    }
    j
}

/// Whether groups of these lengths are a printed card layout.
fn card_layout(groups: &[usize]) -> bool {
    match groups {
        [4, 6, 4 | 5] => true,
        [4, rest @ ..] if rest.len() >= 2 => {
            let (last, middle) = rest.split_last().map_or((&0, &[][..]), |(l, m)| (l, m));
            middle.iter().all(|g| *g == 4) && (1..=4).contains(last)
        }
        _ => false,
    }
}

/// Whether the number ending at `end` continues as a dotted or decimal number, or runs into
/// a word.
fn bad_end(bytes: &[u8], end: usize) -> bool {
    match bytes.get(end) {
        Some(b) if is_word(*b) => true,
        Some(b'.') => bytes.get(end + 1).is_some_and(u8::is_ascii_digit),
        _ => false,
    }
}

/// Whether the number starting at `start` is glued to what precedes it.
fn bad_start(bytes: &[u8], start: usize) -> bool {
    let Some(prev) = start.checked_sub(1).map(|i| bytes[i]) else {
        return false;
    };
    if is_word(prev) || prev == b'+' {
        return true;
    }
    // `0.4111…`, `10.0.4111…`: a fraction or a dotted number.
    prev == b'.' && start >= 2 && bytes[start - 2].is_ascii_digit()
}

fn candidate(bytes: &[u8], start: usize, end: usize) -> Option<PanMatch> {
    let mut digits = [0u8; MAX_DIGITS];
    let mut len = 0usize;
    for b in &bytes[start..end] {
        if b.is_ascii_digit() {
            if len == MAX_DIGITS {
                return None;
            }
            digits[len] = *b;
            len += 1;
        }
    }
    let d = &digits[..len];
    if len < MIN_DIGITS || !luhn_valid(d) {
        return None;
    }
    let brand = brand_of(d)?;
    Some(PanMatch {
        start,
        end,
        digits,
        len: u8::try_from(len).ok()?,
        brand,
        test: is_test_number(d),
    })
}

/// `text` with every card number in it replaced by its masked form. Rules name objects,
/// images and keys in their messages, and servers log names: this keeps a name that happens
/// to be a card number (a service account called `4111 1111 1111 1111`) out of every output.
#[must_use]
pub fn mask_all(text: String) -> String {
    let found = find(&text);
    if found.is_empty() {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in &found {
        out.push_str(&text[last..m.start]);
        out.push_str(&m.masked());
        last = m.end;
    }
    out.push_str(&text[last..]);
    out
}

/// Every card number in `text`, in order.
#[must_use]
pub fn find(text: &str) -> Vec<PanMatch> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // Jump to the next digit.
        match bytes[i..].iter().position(u8::is_ascii_digit) {
            Some(offset) => i += offset,
            None => break,
        }
        let run_end = digit_run(bytes, i);
        let len = run_end - i;
        // Only a run of 4 (the first group of a printed card) or of 13 to 19 digits can start
        // a card number: every other number is skipped without further work.
        if (len != 4 && !(MIN_DIGITS..=MAX_DIGITS).contains(&len)) || bad_start(bytes, i) {
            i = run_end;
            continue;
        }
        if len == 4
            && let Some((end, m)) = separated(bytes, i, run_end)
        {
            out.push(m);
            i = end;
            continue;
        }
        if len >= MIN_DIGITS
            && !bad_end(bytes, run_end)
            && let Some(m) = candidate(bytes, i, run_end)
        {
            out.push(m);
        }
        i = run_end;
    }
    out
}

/// A card number printed in groups (`4111 1111 1111 1111`, `3782-822463-10005`) starting with
/// the 4-digit run `start..first_end`: the groups must use one separator and a card layout.
fn separated(bytes: &[u8], start: usize, first_end: usize) -> Option<(usize, PanMatch)> {
    let sep = *bytes.get(first_end).filter(|b| matches!(b, b' ' | b'-'))?;
    let mut groups = [0usize; 8];
    groups[0] = first_end - start;
    let mut count = 1;
    let mut total = groups[0];
    let mut end = first_end;
    while count < groups.len()
        && bytes.get(end) == Some(&sep)
        && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
    {
        let next = digit_run(bytes, end + 1);
        groups[count] = next - end - 1;
        total += groups[count];
        count += 1;
        end = next;
        if total > MAX_DIGITS {
            return None;
        }
    }
    (count > 1
        && card_layout(&groups[..count])
        && (MIN_DIGITS..=MAX_DIGITS).contains(&total)
        && !bad_end(bytes, end))
    .then(|| candidate(bytes, start, end))
    .flatten()
    .map(|m| (end, m))
}

/// Whether `text` holds a card number.
#[must_use]
pub fn contains(text: &str) -> bool {
    !find(text).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_in_text_are_masked() {
        assert_eq!(
            mask_all("account `4111 1111 1111 1111` mounts a token".to_owned()),
            "account `411111******1111` mounts a token"
        );
        assert_eq!(
            mask_all("image `app:1.2.3`".to_owned()),
            "image `app:1.2.3`"
        );
    }
    use proptest::prelude::*;

    fn found(text: &str) -> Vec<String> {
        find(text).iter().map(PanMatch::masked).collect()
    }

    #[test]
    fn every_test_number_is_luhn_valid_and_branded() {
        for n in TEST_NUMBERS {
            assert!(luhn_valid(n.as_bytes()), "{n} fails Luhn");
            assert!(brand_of(n.as_bytes()).is_some(), "{n} has no brand");
            let m = find(n);
            assert_eq!(m.len(), 1, "{n}");
            assert!(m[0].test, "{n}");
        }
    }

    #[test]
    fn finds_contiguous_and_separated_numbers() {
        assert_eq!(found("4111111111111111"), ["411111******1111"]);
        assert_eq!(found("card: 4111 1111 1111 1111."), ["411111******1111"]);
        assert_eq!(found("4111-1111-1111-1111"), ["411111******1111"]);
        assert_eq!(found("amex 3782 822463 10005"), ["378282*****0005"]);
        assert_eq!(found("\"5555555555554444\","), ["555555******4444"]);
        assert_eq!(
            found("a=4242424242424242,b=378282246310005"),
            ["424242******4242", "378282*****0005"]
        );
        assert_eq!(
            found("/orders/4012888888881881/items"),
            ["401288******1881"]
        );
        assert_eq!(found("id 4000 0566 5566 5556 done"), ["400005******5556"]);
    }

    #[test]
    fn brands() {
        let b = |s: &str| brand_of(s.as_bytes());
        assert_eq!(b("4111111111111111"), Some(Brand::Visa));
        assert_eq!(b("5555555555554444"), Some(Brand::Mastercard));
        assert_eq!(b("2223003122003222"), Some(Brand::Mastercard));
        assert_eq!(b("378282246310005"), Some(Brand::Amex));
        assert_eq!(b("6011111111111117"), Some(Brand::Discover));
        assert_eq!(b("3530111333300000"), Some(Brand::Jcb));
        assert_eq!(b("30569309025904"), Some(Brand::DinersClub));
        assert_eq!(b("6200000000000005"), Some(Brand::UnionPay));
        assert_eq!(b("6759649826438453"), Some(Brand::Maestro));
        // Mastercard is 16 digits only; Amex 15 only.
        assert_eq!(b("5555555555555"), None);
        assert_eq!(b("3782822463100050"), None);
        // Prefix 1 (timestamps) and 9 have no issuer.
        assert_eq!(b("1700000000000000"), None);
        assert_eq!(b("9111111111111111"), None);
    }

    #[test]
    fn real_looking_numbers_are_not_test_numbers() {
        // Luhn-valid, Visa, varied digits: reported as a real PAN.
        let m = find("4539578763621486");
        assert_eq!(m.len(), 1);
        assert!(!m[0].test);
        assert_eq!(m[0].brand, Brand::Visa);
    }

    #[test]
    fn long_numbers_that_are_not_card_numbers() {
        for text in [
            // timestamps: s, ms, µs, ns
            "1700000000",
            "1700000000123",
            "1700000000123456",
            "1700000000123456789",
            // snowflake id
            "1234567890123456789",
            // UUIDs and hex digests
            "550e8400-e29b-41d4-a716-446655440000",
            "sha256:4111111111111111aa11111111111111111111111111111111111111111111",
            "a4111111111111111",
            "4111111111111111b",
            "x_4111111111111111",
            // IP addresses, versions, decimals
            "10.41.111.111",
            "v1.2.4111111111111111",
            "0.4111111111111111",
            "4111111111111111.5",
            // phone number
            "+4915112345678",
            // part of a longer number
            "41111111111111110",
            "000004111111111111111",
            // luhn-invalid
            "4111111111111112",
            // badly grouped
            "41 11 11 11 11 11 11 11",
            "411 111 111 111 1111",
            "4111 1111-1111 1111",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }

    #[test]
    fn debug_output_is_masked() {
        let m = &find("4111111111111111")[0];
        let dbg = format!("{m:?}");
        assert!(!dbg.contains("4111111111111111"), "{dbg}");
        assert!(dbg.contains("411111******1111"));
    }

    #[test]
    fn mask_short_strings() {
        assert_eq!(mask(b"1234"), "1234");
        assert_eq!(mask(b"1234567890"), "******7890");
        assert_eq!(mask(b"4111-1111"), "****1111");
    }

    /// Appends the Luhn check digit to a digit string.
    fn with_check_digit(body: &[u8]) -> Vec<u8> {
        let mut v = body.to_vec();
        v.push(b'0');
        for c in b'0'..=b'9' {
            let n = v.len();
            v[n - 1] = c;
            if luhn_valid(&v) {
                return v;
            }
        }
        unreachable!("one check digit always fits")
    }

    proptest! {
        #[test]
        fn luhn_detects_every_single_digit_error(body in proptest::collection::vec(0u8..10, 12..18), pos in 0usize..19, delta in 1u8..10) {
            let body: Vec<u8> = body.into_iter().map(|d| b'0' + d).collect();
            let valid = with_check_digit(&body);
            prop_assert!(luhn_valid(&valid));
            let pos = pos % valid.len();
            let mut broken = valid.clone();
            broken[pos] = b'0' + (broken[pos] - b'0' + delta) % 10;
            prop_assert!(!luhn_valid(&broken));
        }

        #[test]
        fn mask_keeps_first_six_and_last_four(digits in "[0-9]{13,19}") {
            let masked = mask(digits.as_bytes());
            prop_assert_eq!(masked.len(), digits.len());
            prop_assert_eq!(&masked[..6], &digits[..6]);
            prop_assert_eq!(&masked[masked.len() - 4..], &digits[digits.len() - 4..]);
            prop_assert!(masked[6..masked.len() - 4].bytes().all(|b| b == b'*'));
        }

        #[test]
        fn every_visa_number_is_found_in_any_layout(body in prop_oneof!["[0-9]{11}", "[0-9]{14}", "[0-9]{17}"], sep in prop_oneof![Just(""), Just(" "), Just("-")]) {
            let digits = with_check_digit(format!("4{body}").as_bytes());
            let digits = String::from_utf8(digits).expect("ascii");
            let text: String = digits
                .as_bytes()
                .chunks(4)
                .map(|c| std::str::from_utf8(c).expect("ascii"))
                .collect::<Vec<_>>()
                .join(sep);
            let found = find(&format!("pay {text} now"));
            prop_assert_eq!(found.len(), 1);
            prop_assert_eq!(found[0].digits(), digits.as_bytes());
        }

        #[test]
        fn never_panics_and_matches_are_in_bounds(text in ".{0,80}") {
            for m in find(&text) {
                prop_assert!(m.start < m.end && m.end <= text.len());
                prop_assert!(luhn_valid(m.digits()));
            }
        }
    }
}
