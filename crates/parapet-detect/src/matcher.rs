//! Compiled value matchers: what one `field|modifiers: value` of a Sigma selection becomes.

use std::net::IpAddr;

use regex::Regex;
use serde_json::Value;

use crate::event::value_text;

/// A string pattern. Case-insensitive patterns hold their text lower-cased.
#[derive(Clone, Debug)]
pub enum StrPat {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    /// Wildcards in the middle (`a*b?c`), anchored at both ends.
    Glob(Regex),
    /// `*` alone: any value that is present.
    Any,
}

/// One compiled value of a field.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// `null`: the field is absent or null.
    Null,
    /// `|exists: true|false`.
    Exists(bool),
    Str {
        pat: StrPat,
        cased: bool,
    },
    /// `|re`: unanchored search.
    Regex(Regex),
    Cidr(Cidr),
    Num(Cmp, f64),
    /// `|fieldref`: equal to another field of the same event (case-insensitive unless `cased`).
    FieldRef {
        field: usize,
        cased: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// An IPv4 or IPv6 network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (ip, bits) = match s.split_once('/') {
            Some((ip, bits)) => (ip.trim(), Some(bits.trim().parse::<u8>().ok()?)),
            None => (s.trim(), None),
        };
        let net: IpAddr = ip.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(Cidr { net, bits })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.bits)
                };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.bits == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.bits)
                };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The values of every field the rule set reads, looked up once per event.
pub struct FieldValues<'e> {
    pub slots: Vec<Option<Vec<&'e Value>>>,
}

impl StrPat {
    /// Builds the pattern for a Sigma string: `*` and `?` are wildcards unless escaped with `\`.
    /// `lower` says whether to compare lower-cased.
    pub fn from_sigma(s: &str, lower: bool) -> StrPat {
        let mut parts: Vec<Piece> = Vec::new();
        let mut lit = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek() {
                    Some(&n) if n == '*' || n == '?' || n == '\\' => {
                        lit.push(n);
                        chars.next();
                    }
                    _ => lit.push('\\'),
                },
                '*' | '?' => {
                    if !lit.is_empty() {
                        parts.push(Piece::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(if c == '*' { Piece::Star } else { Piece::One });
                }
                _ => lit.push(c),
            }
        }
        if !lit.is_empty() {
            parts.push(Piece::Lit(lit));
        }
        let norm = |t: &str| if lower { t.to_lowercase() } else { t.to_string() };
        match parts.as_slice() {
            [] => StrPat::Exact(String::new()),
            [Piece::Star] => StrPat::Any,
            [Piece::Lit(a)] => StrPat::Exact(norm(a)),
            [Piece::Lit(a), Piece::Star] => StrPat::Prefix(norm(a)),
            [Piece::Star, Piece::Lit(a)] => StrPat::Suffix(norm(a)),
            [Piece::Star, Piece::Lit(a), Piece::Star] => StrPat::Contains(norm(a)),
            _ => {
                let mut re = String::from(if lower { "(?si)^" } else { "(?s)^" });
                for p in &parts {
                    match p {
                        Piece::Lit(t) => re.push_str(&regex::escape(t)),
                        Piece::Star => re.push_str(".*"),
                        Piece::One => re.push('.'),
                    }
                }
                re.push('$');
                // Escaped literals only: this pattern always compiles.
                match Regex::new(&re) {
                    Ok(r) => StrPat::Glob(r),
                    Err(_) => StrPat::Exact(norm(s)),
                }
            }
        }
    }

    /// Wraps a literal in wildcards as `contains`/`startswith`/`endswith` do; wildcards inside
    /// the value keep their meaning.
    pub fn wrapped(s: &str, lead: bool, trail: bool, lower: bool) -> StrPat {
        let mut t = String::new();
        if lead {
            t.push('*');
        }
        t.push_str(s);
        let ends_in_wildcard = s.ends_with('*') && !s.ends_with("\\*");
        if trail && !ends_in_wildcard {
            t.push('*');
        }
        StrPat::from_sigma(&t, lower)
    }

    pub fn matches(&self, v: &str, cased: bool) -> bool {
        if cased {
            return match self {
                StrPat::Exact(p) => v == p,
                StrPat::Prefix(p) => v.starts_with(p.as_str()),
                StrPat::Suffix(p) => v.ends_with(p.as_str()),
                StrPat::Contains(p) => v.contains(p.as_str()),
                StrPat::Glob(r) => r.is_match(v),
                StrPat::Any => true,
            };
        }
        match self {
            StrPat::Exact(p) => {
                if v.is_ascii() {
                    v.eq_ignore_ascii_case(p)
                } else {
                    v.to_lowercase() == *p
                }
            }
            StrPat::Prefix(p) => {
                if v.is_ascii() {
                    v.len() >= p.len() && v.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
                } else {
                    v.to_lowercase().starts_with(p.as_str())
                }
            }
            StrPat::Suffix(p) => {
                if v.is_ascii() {
                    v.len() >= p.len() && v.as_bytes()[v.len() - p.len()..].eq_ignore_ascii_case(p.as_bytes())
                } else {
                    v.to_lowercase().ends_with(p.as_str())
                }
            }
            StrPat::Contains(p) => contains_ci(v, p),
            StrPat::Glob(r) => r.is_match(v),
            StrPat::Any => true,
        }
    }
}

enum Piece {
    Lit(String),
    Star,
    One,
}

/// Case-insensitive substring test; `needle` is lower-case.
pub fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        if n.len() > h.len() {
            return false;
        }
        let first = n[0];
        let first_up = first.to_ascii_uppercase();
        let mut i = 0;
        while i + n.len() <= h.len() {
            let c = h[i];
            if (c == first || c == first_up) && h[i..i + n.len()].eq_ignore_ascii_case(n) {
                return true;
            }
            i += 1;
        }
        return false;
    }
    hay.to_lowercase().contains(needle)
}

impl Matcher {
    /// Whether this matcher accepts the field's values (`values` empty = field absent).
    /// `lookup` gives another field's values (for `fieldref`).
    pub fn matches(&self, values: &[&Value], other: &dyn Fn(usize) -> Vec<String>) -> bool {
        match self {
            Matcher::Null => values.iter().all(|v| v.is_null()),
            Matcher::Exists(want) => values.iter().any(|v| !v.is_null()) == *want,
            Matcher::Str { pat, cased } => values
                .iter()
                .filter_map(|v| value_text(v))
                .any(|t| pat.matches(&t, *cased)),
            Matcher::Regex(r) => values
                .iter()
                .filter_map(|v| value_text(v))
                .any(|t| r.is_match(&t)),
            Matcher::Cidr(c) => values
                .iter()
                .filter_map(|v| v.as_str())
                .filter_map(|s| s.trim().parse::<IpAddr>().ok())
                .any(|ip| c.contains(ip)),
            Matcher::Num(cmp, n) => values
                .iter()
                .filter_map(|v| match v {
                    Value::Number(x) => x.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                })
                .any(|x| match cmp {
                    Cmp::Gt => x > *n,
                    Cmp::Gte => x >= *n,
                    Cmp::Lt => x < *n,
                    Cmp::Lte => x <= *n,
                }),
            Matcher::FieldRef { field, cased } => {
                let others = other(*field);
                values.iter().filter_map(|v| value_text(v)).any(|t| {
                    others.iter().any(|o| {
                        if *cased {
                            *o == *t
                        } else {
                            o.to_lowercase() == t.to_lowercase()
                        }
                    })
                })
            }
        }
    }
}

/// Standard base64 (with padding) of `bytes`.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// The three encodings of `s` at byte offsets 0, 1 and 2 inside a longer base64 text, keeping
/// only the characters that `s` alone decides (Sigma's `base64offset`): character `k` covers bits
/// `6k..6k+6`, which must lie inside the bytes of `s`.
pub fn base64_offsets(s: &str) -> Vec<String> {
    (0..3usize)
        .map(|shift| {
            let mut bytes = vec![b' '; shift];
            bytes.extend_from_slice(s.as_bytes());
            let enc = base64(&bytes);
            let start = (8 * shift).div_ceil(6);
            let end = (8 * (shift + s.len())) / 6;
            enc.get(start..end.max(start)).unwrap_or_default().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let p = StrPat::from_sigma("Get*", true);
        assert!(matches!(p, StrPat::Prefix(_)));
        assert!(p.matches("GETOBJECT", false));
        assert!(!p.matches("xget", false));
        let g = StrPat::from_sigma("a*b?c", true);
        assert!(g.matches("AxxBzC", false));
        assert!(!g.matches("AxxBC", false));
        let esc = StrPat::from_sigma(r"a\*b", true);
        assert!(esc.matches("A*B", false));
        assert!(!esc.matches("AxB", false));
        assert!(StrPat::from_sigma("*", true).matches("", false));
        assert!(contains_ci("Hello World", "o w"));
        assert!(contains_ci("ÄBC", "äb"));
        assert!(!StrPat::Exact("abc".into()).matches("ABC", true));
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("10.0.0.0/8").expect("cidr");
        assert!(c.contains("10.1.2.3".parse().expect("ip")));
        assert!(!c.contains("11.1.2.3".parse().expect("ip")));
        let six = Cidr::parse("2001:db8::/32").expect("v6");
        assert!(six.contains("2001:db8::1".parse().expect("ip")));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("0.0.0.0/0")
            .expect("all")
            .contains("8.8.8.8".parse().expect("ip")));
    }

    #[test]
    fn base64_offsets_are_found_inside_longer_encodings() {
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        for prefix in ["", "x", "xy", "xyz"] {
            for suffix in ["", "!", "!!", "!!!"] {
                let whole = base64(format!("{prefix}secret{suffix}").as_bytes());
                assert!(
                    base64_offsets("secret")
                        .iter()
                        .any(|o| whole.contains(o.as_str())),
                    "{prefix}secret{suffix} -> {whole} not found in {:?}",
                    base64_offsets("secret")
                );
            }
        }
    }
}
