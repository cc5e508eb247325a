//! Sigma conditions: `and`, `or`, `not`, parentheses, `1 of X`, `all of X` (with `*` wildcards
//! in X, and `them`). Precedence, loosest first: `or`, `and`, `not`.

/// A condition over the rule's selections (by index).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Sel(usize),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
}

#[derive(Debug, PartialEq, Eq)]
enum Tok {
    Word(String),
    Open,
    Close,
}

fn lex(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |w: &mut String, out: &mut Vec<Tok>| {
        if !w.is_empty() {
            out.push(Tok::Word(std::mem::take(w)));
        }
    };
    for c in s.chars() {
        match c {
            '(' => {
                flush(&mut word, &mut out);
                out.push(Tok::Open);
            }
            ')' => {
                flush(&mut word, &mut out);
                out.push(Tok::Close);
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Parses `text` against the selection names (in order). Errors are one line naming the
/// offending token.
pub fn parse(text: &str, names: &[String]) -> Result<Expr, String> {
    let toks = lex(text);
    let mut p = Parser { toks, pos: 0, names };
    let e = p.or()?;
    if let Some(t) = p.toks.get(p.pos) {
        return Err(format!("unexpected {} after a complete condition", show(t)));
    }
    Ok(e)
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("'{w}'"),
        Tok::Open => "'('".into(),
        Tok::Close => "')'".into(),
    }
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    names: &'a [String],
}

impl Parser<'_> {
    fn peek_word(&self, w: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.and()?];
        while self.peek_word("or") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.not()?];
        while self.peek_word("and") {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.peek_word("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, String> {
        let Some(tok) = self.toks.get(self.pos) else {
            return Err("the condition ends where a selection was expected".into());
        };
        match tok {
            Tok::Open => {
                self.pos += 1;
                let e = self.or()?;
                match self.toks.get(self.pos) {
                    Some(Tok::Close) => {
                        self.pos += 1;
                        Ok(e)
                    }
                    _ => Err("a '(' is not closed".into()),
                }
            }
            Tok::Close => Err("unexpected ')'".into()),
            Tok::Word(w) => {
                let w = w.clone();
                self.pos += 1;
                let lw = w.to_ascii_lowercase();
                if lw == "1" || lw == "all" {
                    if !self.peek_word("of") {
                        return Err(format!("'{w}' must be followed by 'of'"));
                    }
                    self.pos += 1;
                    let Some(Tok::Word(target)) = self.toks.get(self.pos) else {
                        return Err(format!("'{w} of' must name selections, a pattern or 'them'"));
                    };
                    let target = target.clone();
                    self.pos += 1;
                    let sels = self.expand(&target)?;
                    let items: Vec<Expr> = sels.into_iter().map(Expr::Sel).collect();
                    return Ok(if lw == "all" {
                        Expr::And(items)
                    } else {
                        Expr::Or(items)
                    });
                }
                if let Ok(n) = lw.parse::<u32>() {
                    return Err(format!("'{n} of' is not supported (only '1 of' and 'all of')"));
                }
                if matches!(lw.as_str(), "and" | "or" | "of" | "them") {
                    return Err(format!("unexpected '{w}'"));
                }
                match self.names.iter().position(|n| *n == w) {
                    Some(i) => Ok(Expr::Sel(i)),
                    None => Err(format!("'{w}' is not a selection of this rule")),
                }
            }
        }
    }

    /// The selections a `1 of`/`all of` target names: `them` (every selection not starting with
    /// `_`), a pattern with `*`, or one name.
    fn expand(&self, target: &str) -> Result<Vec<usize>, String> {
        let out: Vec<usize> = if target == "them" {
            (0..self.names.len())
                .filter(|&i| !self.names[i].starts_with('_'))
                .collect()
        } else {
            (0..self.names.len())
                .filter(|&i| parapet_model::detection::wildcard(target, &self.names[i]))
                .collect()
        };
        if out.is_empty() {
            return Err(format!("'{target}' matches no selection of this rule"));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn precedence_and_quantifiers() {
        let n = names(&["selection", "filter_a", "filter_b", "_hidden"]);
        assert_eq!(
            parse("selection and not 1 of filter_*", &n),
            Ok(Expr::And(vec![
                Expr::Sel(0),
                Expr::Not(Box::new(Expr::Or(vec![Expr::Sel(1), Expr::Sel(2)])))
            ]))
        );
        assert_eq!(
            parse("selection or filter_a and filter_b", &n),
            Ok(Expr::Or(vec![
                Expr::Sel(0),
                Expr::And(vec![Expr::Sel(1), Expr::Sel(2)])
            ]))
        );
        assert_eq!(
            parse("(selection or filter_a) and not not filter_b", &n),
            Ok(Expr::And(vec![
                Expr::Or(vec![Expr::Sel(0), Expr::Sel(1)]),
                Expr::Not(Box::new(Expr::Not(Box::new(Expr::Sel(2)))))
            ]))
        );
        assert_eq!(
            parse("all of them", &n),
            Ok(Expr::And(vec![Expr::Sel(0), Expr::Sel(1), Expr::Sel(2)]))
        );
    }

    #[test]
    fn errors_name_the_token() {
        let n = names(&["selection"]);
        assert_eq!(
            parse("selection and", &n),
            Err("the condition ends where a selection was expected".into())
        );
        assert_eq!(
            parse("sel", &n),
            Err("'sel' is not a selection of this rule".into())
        );
        assert_eq!(
            parse("1 of filter*", &n),
            Err("'filter*' matches no selection of this rule".into())
        );
        assert_eq!(parse("(selection", &n), Err("a '(' is not closed".into()));
        assert_eq!(
            parse("selection selection", &n),
            Err("unexpected 'selection' after a complete condition".into())
        );
        assert!(parse("2 of them", &n).is_err());
    }
}
