//! `Requires-Dist` lines of installed distributions (PEP 508): the name,
//! the extras asked for, and the environment marker, evaluated for the
//! interpreter frozen apps run (CPython 3.11 on x86_64 Linux).

use std::collections::BTreeSet;

/// One `Requires-Dist` requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Normalised (PEP 503) distribution name.
    pub name: String,
    pub extras: BTreeSet<String>,
    /// The marker after `;`, unparsed; empty when there is none.
    pub marker: String,
}

/// PEP 503 name normalisation: lowercase, runs of `-_.` become `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            pending_dash = true;
            continue;
        }
        if pending_dash && !out.is_empty() {
            out.push('-');
        }
        pending_dash = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// Parses a `Requires-Dist` value: `name [extras] (specifiers) ; marker`.
pub fn parse_requirement(line: &str) -> Option<Requirement> {
    let (spec, marker) = match line.split_once(';') {
        Some((s, m)) => (s, m.trim()),
        None => (line, ""),
    };
    let spec = spec.trim();
    let name_len = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..name_len];
    if name.is_empty() {
        return None;
    }
    let rest = spec[name_len..].trim_start();
    let mut extras = BTreeSet::new();
    if let Some(inner) = rest.strip_prefix('[') {
        let inner = inner.split(']').next().unwrap_or("");
        extras.extend(
            inner
                .split(',')
                .map(|e| normalize_name(e.trim()))
                .filter(|e| !e.is_empty()),
        );
    }
    Some(Requirement {
        name: normalize_name(name),
        extras,
        marker: marker.to_owned(),
    })
}

/// The values of marker variables for the frozen apps' interpreter.
fn variable(name: &str) -> Option<&'static str> {
    Some(match name {
        "python_version" => "3.11",
        "python_full_version" | "implementation_version" => freeze_runtime::PYTHON_VERSION,
        "os_name" => "posix",
        "sys_platform" => "linux",
        "platform_system" => "Linux",
        "platform_machine" => "x86_64",
        "platform_python_implementation" => "CPython",
        "implementation_name" => "cpython",
        "platform_release" | "platform_version" => "",
        _ => return None,
    })
}

/// Evaluates an environment marker with `extras` requested (an empty
/// marker is true). A marker that cannot be parsed counts as true: a
/// dependency too many costs size, one too few breaks the app.
pub fn marker_holds(marker: &str, extras: &BTreeSet<String>) -> bool {
    if marker.trim().is_empty() {
        return true;
    }
    let tokens = match tokenize(marker) {
        Some(t) => t,
        None => return true,
    };
    let mut parser = Parser {
        tokens,
        pos: 0,
        extras,
    };
    match parser.or() {
        Some(value) if parser.pos == parser.tokens.len() => value,
        _ => true,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Op(String),
    Open,
    Close,
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Token::Open);
            i += 1;
        } else if c == ')' {
            out.push(Token::Close);
            i += 1;
        } else if c == '"' || c == '\'' {
            let end = chars[i + 1..].iter().position(|&d| d == c)? + i + 1;
            out.push(Token::Quoted(chars[i + 1..end].iter().collect()));
            i = end + 1;
        } else if "<>=!~".contains(c) {
            let mut j = i;
            while j < chars.len() && "<>=!~".contains(chars[j]) {
                j += 1;
            }
            out.push(Token::Op(chars[i..j].iter().collect()));
            i = j;
        } else {
            let mut j = i;
            while j < chars.len() && (chars[j].is_alphanumeric() || "_.-".contains(chars[j])) {
                j += 1;
            }
            if j == i {
                return None;
            }
            out.push(Token::Word(chars[i..j].iter().collect()));
            i = j;
        }
    }
    Some(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    extras: &'a BTreeSet<String>,
}

impl Parser<'_> {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w == word)
    }

    fn or(&mut self) -> Option<bool> {
        let mut value = self.and()?;
        while self.peek_word("or") {
            self.pos += 1;
            value |= self.and()?;
        }
        Some(value)
    }

    fn and(&mut self) -> Option<bool> {
        let mut value = self.atom()?;
        while self.peek_word("and") {
            self.pos += 1;
            value &= self.atom()?;
        }
        Some(value)
    }

    fn atom(&mut self) -> Option<bool> {
        if self.tokens.get(self.pos) == Some(&Token::Open) {
            self.pos += 1;
            let value = self.or()?;
            if self.tokens.get(self.pos) != Some(&Token::Close) {
                return None;
            }
            self.pos += 1;
            return Some(value);
        }
        let left = self.value()?;
        let op = match self.tokens.get(self.pos)? {
            Token::Op(op) => op.clone(),
            Token::Word(w) if w == "in" => "in".to_owned(),
            Token::Word(w) if w == "not" => {
                self.pos += 1;
                if !self.peek_word("in") {
                    return None;
                }
                "not in".to_owned()
            }
            _ => return None,
        };
        self.pos += 1;
        let right = self.value()?;
        Some(self.compare(&left, &op, &right))
    }

    /// A marker operand: (is the `extra` variable, its value).
    fn value(&mut self) -> Option<(bool, String)> {
        let token = self.tokens.get(self.pos)?.clone();
        self.pos += 1;
        match token {
            Token::Quoted(s) => Some((false, s)),
            Token::Word(w) if w == "extra" => Some((true, String::new())),
            Token::Word(w) => Some((false, variable(&w)?.to_owned())),
            _ => None,
        }
    }

    fn compare(&self, left: &(bool, String), op: &str, right: &(bool, String)) -> bool {
        // `extra == "socks"`: true when that extra was asked for.
        if left.0 || right.0 {
            let wanted = normalize_name(if left.0 { &right.1 } else { &left.1 });
            let asked = self.extras.contains(&wanted);
            return match op {
                "==" | "===" => asked,
                "!=" => !asked,
                _ => false,
            };
        }
        let (l, r) = (&left.1, &right.1);
        match op {
            "in" => r.contains(l.as_str()),
            "not in" => !r.contains(l.as_str()),
            "===" => l == r,
            _ => match (version(l), version(r)) {
                (Some(a), Some(b)) => {
                    let ord = compare_versions(&a, &b);
                    match op {
                        "==" => ord.is_eq(),
                        "!=" => !ord.is_eq(),
                        "<" => ord.is_lt(),
                        "<=" => ord.is_le(),
                        ">" => ord.is_gt(),
                        ">=" => ord.is_ge(),
                        // ~=X.Y: >= X.Y and == X.*
                        "~=" => ord.is_ge() && a.first() == b.first(),
                        _ => false,
                    }
                }
                _ => match op {
                    "==" => l == r,
                    "!=" => l != r,
                    _ => false,
                },
            },
        }
    }
}

fn version(text: &str) -> Option<Vec<u64>> {
    let text = text.trim_end_matches(".*");
    text.split('.').map(|p| p.parse().ok()).collect()
}

/// Compares release numbers, missing components counting as 0
/// (`"3.11" == "3.11.0"`).
fn compare_versions(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        if x != y {
            return x.cmp(&y);
        }
    }
    std::cmp::Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(marker: &str, extras: &[&str]) -> bool {
        let extras = extras.iter().map(|e| e.to_string()).collect();
        marker_holds(marker, &extras)
    }

    #[test]
    fn requirements_parse_like_pep_508() {
        let r = parse_requirement("PySocks!=1.5.7,>=1.5.6; extra == \"socks\"").unwrap();
        assert_eq!(r.name, "pysocks");
        assert_eq!(r.marker, "extra == \"socks\"");
        let r = parse_requirement("requests[security,Socks] (>=2.0)").unwrap();
        assert_eq!(r.name, "requests");
        assert_eq!(
            r.extras.into_iter().collect::<Vec<_>>(),
            vec!["security", "socks"]
        );
        assert_eq!(
            parse_requirement("markdown-it-py>=2.2.0").unwrap().name,
            "markdown-it-py"
        );
        assert_eq!(normalize_name("Typing_Extensions"), "typing-extensions");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert!(parse_requirement("  ; x").is_none());
    }

    #[test]
    fn markers_evaluate_for_cpython_311_on_linux() {
        assert!(holds("", &[]));
        assert!(!holds("python_version < \"3.10\"", &[]));
        assert!(holds("python_version >= \"3.8\"", &[]));
        assert!(holds("python_version == \"3.11\"", &[]));
        assert!(!holds("sys_platform == \"win32\"", &[]));
        assert!(holds(
            "sys_platform != 'win32' and platform_machine == 'x86_64'",
            &[]
        ));
        assert!(!holds(
            "platform_system == \"Windows\" or os_name == \"nt\"",
            &[]
        ));
        assert!(!holds("extra == 'socks'", &[]));
        assert!(holds("extra == 'socks'", &["socks"]));
        assert!(holds(
            "(python_version < \"3.9\" or extra == \"test\") or implementation_name == \"cpython\"",
            &[]
        ));
        assert!(!holds(
            "python_version < \"3.11\" and extra == \"all\"",
            &["all"]
        ));
        assert!(holds("'linux' in sys_platform", &[]));
        assert!(holds(
            "platform_python_implementation not in \"PyPy Jython\"",
            &[]
        ));
        // Unparsable: counted as true.
        assert!(holds("python_version <", &[]));
    }
}
