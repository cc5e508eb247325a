//! Reading rules in the SigmaHQ format (YAML, one or more documents per file): detection rules
//! over one event and correlation rules over other rules' matches. The built-in pack is written
//! in the same format, with a `parapet:` block for what Sigma has no field for (controls, the
//! next step, grouping).

pub mod condition;

use std::collections::{BTreeMap, HashMap};

use parapet_model::Severity;
use regex::Regex;
use yaml_rust2::{Yaml, YamlLoader};

use crate::event::Source;
use crate::matcher::{base64, base64_offsets, Cidr, Cmp, Matcher, StrPat};
use crate::rule::{Body, Correlation, CorrelationKind, Detection, Item, Origin, Rule, RuleError, Selection};

/// Values of `%name%` placeholders (`|expand`), from `[detect.placeholders]`.
pub type Placeholders = BTreeMap<String, Vec<String>>;

/// The field table shared by every rule of a set: each dotted path once.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    pub paths: Vec<Vec<String>>,
    pub names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Fields {
    pub fn intern(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.paths.len();
        self.paths.push(name.split('.').map(str::to_string).collect());
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }

    pub fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// Turns rule text into rules, interning fields as it goes.
pub struct Loader<'p> {
    pub fields: Fields,
    placeholders: &'p Placeholders,
}

/// One document's context for error messages.
struct Ctx<'a> {
    origin: &'a Origin,
    rule: String,
}

impl Ctx<'_> {
    fn err(&self, construct: impl Into<String>, message: impl Into<String>) -> RuleError {
        RuleError {
            origin: self.origin.to_string(),
            rule: self.rule.clone(),
            construct: construct.into(),
            message: message.into(),
            placeholder: None,
        }
    }
}

fn key<'y>(h: &'y yaml_rust2::yaml::Hash, k: &str) -> Option<&'y Yaml> {
    h.get(&Yaml::String(k.to_string()))
}

fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn strings(y: Option<&Yaml>) -> Vec<String> {
    match y {
        Some(Yaml::Array(a)) => a.iter().filter_map(scalar).collect(),
        Some(other) => scalar(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// `30s`, `5m`, `1h`, `2d`, `1w` in ms.
pub fn parse_timespan(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].trim().parse().ok()?;
    let mult = match unit {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 7 * 86_400_000,
        _ => return None,
    };
    (n > 0).then_some(n * mult)
}

impl<'p> Loader<'p> {
    pub fn new(placeholders: &'p Placeholders) -> Loader<'p> {
        Loader {
            fields: Fields::default(),
            placeholders,
        }
    }

    /// Every rule of a file (one per YAML document), each loaded or refused on its own.
    pub fn load_text(&mut self, text: &str, origin: &Origin) -> Vec<Result<Rule, RuleError>> {
        let docs = match YamlLoader::load_from_str(text) {
            Ok(d) => d,
            Err(e) => {
                return vec![Err(RuleError {
                    origin: origin.to_string(),
                    rule: "document 1".into(),
                    construct: "yaml".into(),
                    message: e.to_string(),
                    placeholder: None,
                })]
            }
        };
        docs.iter()
            .enumerate()
            .filter(|(_, d)| !matches!(d, Yaml::Null))
            .map(|(i, d)| self.load_doc(d, i, origin))
            .collect()
    }

    fn load_doc(&mut self, doc: &Yaml, index: usize, origin: &Origin) -> Result<Rule, RuleError> {
        let mut ctx = Ctx {
            origin,
            rule: format!("document {}", index + 1),
        };
        let Yaml::Hash(h) = doc else {
            return Err(ctx.err("yaml", "a rule must be a mapping of keys"));
        };
        let title = key(h, "title").and_then(scalar);
        let sigma_id = key(h, "id").and_then(scalar);
        let name = key(h, "name").and_then(scalar);
        ctx.rule = title.clone().or_else(|| sigma_id.clone()).unwrap_or(ctx.rule);
        if key(h, "action").is_some() {
            return Err(ctx.err(
                "action",
                "rule collections with 'action: global/reset/repeat' (Sigma 1.0) are not supported; write each rule whole",
            ));
        }
        let Some(title) = title else {
            return Err(ctx.err("title", "every rule needs a title"));
        };
        let level = key(h, "level").and_then(scalar);
        let severity = match level.as_deref() {
            None => Severity::Medium,
            Some(l) => Severity::parse(l).ok_or_else(|| {
                ctx.err(
                    "level",
                    format!("'{l}' is not informational, low, medium, high or critical"),
                )
            })?,
        };
        let ext = match key(h, "parapet") {
            Some(Yaml::Hash(x)) => Some(x),
            Some(_) => return Err(ctx.err("parapet", "must be a mapping (controls, next_step, group_by)")),
            None => None,
        };
        let ext_get = |k: &str| ext.and_then(|x| key(x, k));
        let body = if let Some(c) = key(h, "correlation") {
            Body::Correlation(self.correlation(c, h, &ctx)?)
        } else {
            let Some(det) = key(h, "detection") else {
                return Err(ctx.err("detection", "a rule needs 'detection' (or 'correlation')"));
            };
            let source = check_logsource(key(h, "logsource"), &ctx)?;
            Body::Events(self.detection(det, source, &ctx)?)
        };
        let id = match origin {
            Origin::Builtin(_) => sigma_id
                .clone()
                .ok_or_else(|| ctx.err("id", "a built-in rule needs an id"))?,
            Origin::File(path) => {
                let base = sigma_id.clone().or_else(|| name.clone()).unwrap_or_else(|| {
                    std::path::Path::new(path)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| title.clone())
                });
                format!("sigma.{base}")
            }
        };
        Ok(Rule {
            id,
            sigma_id,
            name,
            title,
            description: key(h, "description")
                .and_then(scalar)
                .unwrap_or_default()
                .trim()
                .to_string(),
            severity,
            status: key(h, "status").and_then(scalar),
            tags: strings(key(h, "tags")),
            origin: origin.clone(),
            controls: strings(ext_get("controls")),
            next_step: ext_get("next_step")
                .and_then(scalar)
                .unwrap_or_default()
                .trim()
                .to_string(),
            group_by: strings(ext_get("group_by")),
            body,
        })
    }

    fn detection(&mut self, det: &Yaml, source: Source, ctx: &Ctx<'_>) -> Result<Detection, RuleError> {
        let Yaml::Hash(h) = det else {
            return Err(ctx.err("detection", "must be a mapping of selections and a condition"));
        };
        if key(h, "timeframe").is_some() {
            return Err(ctx.err(
                "detection.timeframe",
                "'timeframe' belongs to Sigma 1.0 aggregations; write a correlation rule with a timespan",
            ));
        }
        let mut names = Vec::new();
        let mut selections = Vec::new();
        for (k, v) in h {
            let Some(k) = scalar(k) else {
                return Err(ctx.err("detection", "selection names must be strings"));
            };
            if k == "condition" {
                continue;
            }
            let sel = self.selection(v, &format!("detection.{k}"), ctx)?;
            names.push(k);
            selections.push(sel);
        }
        let cond_text = match key(h, "condition") {
            Some(Yaml::Array(items)) => {
                let parts: Vec<String> = items
                    .iter()
                    .filter_map(scalar)
                    .map(|c| format!("({c})"))
                    .collect();
                if parts.is_empty() {
                    return Err(ctx.err("detection.condition", "an empty list"));
                }
                parts.join(" or ")
            }
            Some(y) => scalar(y).ok_or_else(|| ctx.err("detection.condition", "must be a string"))?,
            None => return Err(ctx.err("detection.condition", "every detection needs a condition")),
        };
        if cond_text.contains('|') {
            return Err(ctx.err(
                "detection.condition",
                "aggregations ('| count() ...') are Sigma 1.0; write a correlation rule instead",
            ));
        }
        let condition =
            condition::parse(&cond_text, &names).map_err(|m| ctx.err("detection.condition", m))?;
        Ok(Detection {
            source,
            selections,
            names,
            condition,
        })
    }

    fn selection(&mut self, v: &Yaml, at: &str, ctx: &Ctx<'_>) -> Result<Selection, RuleError> {
        match v {
            Yaml::Hash(map) => Ok(Selection::All(self.items(map, at, ctx)?)),
            Yaml::Array(list) if !list.is_empty() && list.iter().all(|x| matches!(x, Yaml::Hash(_))) => {
                let mut maps = Vec::new();
                for x in list {
                    if let Yaml::Hash(m) = x {
                        maps.push(self.items(m, at, ctx)?);
                    }
                }
                Ok(Selection::Any(maps))
            }
            Yaml::Array(list) if !list.is_empty() && list.iter().all(|x| scalar(x).is_some()) => {
                Ok(Selection::Keywords {
                    pats: list
                        .iter()
                        .filter_map(scalar)
                        .map(|s| StrPat::wrapped(&s, true, true, true))
                        .collect(),
                    all: false,
                })
            }
            Yaml::Array(_) => Err(ctx.err(
                at,
                "a list must hold either maps (any of them) or keywords, not both or neither",
            )),
            other => match scalar(other) {
                Some(s) => Ok(Selection::Keywords {
                    pats: vec![StrPat::wrapped(&s, true, true, true)],
                    all: false,
                }),
                None => Err(ctx.err(at, "a selection must be a map, a list of maps or keywords")),
            },
        }
    }

    fn items(
        &mut self,
        map: &yaml_rust2::yaml::Hash,
        at: &str,
        ctx: &Ctx<'_>,
    ) -> Result<Vec<Item>, RuleError> {
        let mut out = Vec::new();
        for (k, v) in map {
            let Some(k) = scalar(k) else {
                return Err(ctx.err(at, "field names must be strings"));
            };
            out.push(self.item(&k, v, &format!("{at}.{k}"), ctx)?);
        }
        Ok(out)
    }

    fn item(&mut self, spec: &str, v: &Yaml, at: &str, ctx: &Ctx<'_>) -> Result<Item, RuleError> {
        let mut parts = spec.split('|');
        let field_name = parts.next().unwrap_or_default().trim().to_string();
        if field_name.is_empty() {
            return Err(ctx.err(
                at,
                "modifiers without a field name are not supported; name the field",
            ));
        }
        #[derive(Default)]
        struct Mods {
            wrap: Option<(bool, bool)>,
            all: bool,
            cased: bool,
            re: bool,
            re_flags: String,
            cidr: bool,
            b64: bool,
            b64off: bool,
            exists: bool,
            cmp: Option<Cmp>,
            fieldref: bool,
            expand: bool,
        }
        let mut m = Mods::default();
        for raw in parts {
            let md = raw.trim();
            match md {
                "contains" => m.wrap = Some((true, true)),
                "startswith" => m.wrap = Some((false, true)),
                "endswith" => m.wrap = Some((true, false)),
                "all" => m.all = true,
                "cased" => m.cased = true,
                "re" => m.re = true,
                "i" | "ignorecase" if m.re => m.re_flags.push('i'),
                "m" | "multiline" if m.re => m.re_flags.push('m'),
                "s" | "dotall" if m.re => m.re_flags.push('s'),
                "cidr" => m.cidr = true,
                "base64" => m.b64 = true,
                "base64offset" => m.b64off = true,
                "exists" => m.exists = true,
                "gt" => m.cmp = Some(Cmp::Gt),
                "gte" => m.cmp = Some(Cmp::Gte),
                "lt" => m.cmp = Some(Cmp::Lt),
                "lte" => m.cmp = Some(Cmp::Lte),
                "fieldref" => m.fieldref = true,
                "expand" => m.expand = true,
                "wide" | "utf16" | "utf16le" | "utf16be" | "windash" => {
                    return Err(ctx.err(
                        at,
                        format!("modifier '{md}' is not supported: it is meant for Windows command lines and encodings, which CloudTrail does not have"),
                    ))
                }
                other => return Err(ctx.err(at.to_string(), format!("unknown modifier '{other}'"))),
            }
        }
        let field = self.fields.intern(&field_name);
        // The values, null as None.
        let raw_values: Vec<Option<String>> = match v {
            Yaml::Array(a) => {
                if a.is_empty() {
                    return Err(ctx.err(
                        at,
                        "an empty list of values matches nothing; remove the field or give values",
                    ));
                }
                a.iter()
                    .map(|x| match x {
                        Yaml::Null => Ok(None),
                        other => scalar(other)
                            .map(Some)
                            .ok_or_else(|| ctx.err(at, "values must be scalars")),
                    })
                    .collect::<Result<_, _>>()?
            }
            Yaml::Null => vec![None],
            other => vec![Some(scalar(other).ok_or_else(|| {
                ctx.err(at, "values must be scalars or a list of scalars")
            })?)],
        };
        // `|expand`: replace %name% with each configured value.
        let values = if m.expand {
            let mut out = Vec::new();
            for v in raw_values {
                let Some(s) = v else {
                    out.push(None);
                    continue;
                };
                out.extend(self.expand(&s, at, ctx)?.into_iter().map(Some));
            }
            out
        } else {
            raw_values
        };
        let mut matchers = Vec::new();
        for v in values {
            let Some(s) = v else {
                if m.exists || m.cmp.is_some() || m.cidr || m.re || m.fieldref {
                    return Err(ctx.err(at, "null cannot be used with this modifier"));
                }
                matchers.push(Matcher::Null);
                continue;
            };
            if m.exists {
                let want = match s.to_ascii_lowercase().as_str() {
                    "true" | "yes" => true,
                    "false" | "no" => false,
                    _ => return Err(ctx.err(at, format!("'exists' takes true or false, not '{s}'"))),
                };
                matchers.push(Matcher::Exists(want));
            } else if let Some(cmp) = m.cmp {
                let n: f64 = s
                    .trim()
                    .parse()
                    .map_err(|_| ctx.err(at, format!("a numeric comparison needs a number, not '{s}'")))?;
                matchers.push(Matcher::Num(cmp, n));
            } else if m.cidr {
                let c = Cidr::parse(&s)
                    .ok_or_else(|| ctx.err(at, format!("'{s}' is not an IPv4 or IPv6 network")))?;
                matchers.push(Matcher::Cidr(c));
            } else if m.re {
                let mut pat = String::new();
                if !m.re_flags.is_empty() {
                    pat.push_str(&format!("(?{})", m.re_flags));
                }
                pat.push_str(&s);
                let r = Regex::new(&pat)
                    .map_err(|e| ctx.err(at, format!("the regular expression does not compile: {e}")))?;
                matchers.push(Matcher::Regex(r));
            } else if m.fieldref {
                matchers.push(Matcher::FieldRef {
                    field: self.fields.intern(s.trim()),
                    cased: m.cased,
                });
            } else {
                let encoded: Vec<String> = if m.b64off {
                    base64_offsets(&s)
                } else if m.b64 {
                    vec![base64(s.as_bytes())]
                } else {
                    vec![s]
                };
                for e in encoded {
                    // Base64 text is case-sensitive whatever `cased` says.
                    let cased = m.cased || m.b64 || m.b64off;
                    let pat = match m.wrap {
                        Some((lead, trail)) => StrPat::wrapped(&e, lead, trail, !cased),
                        None => StrPat::from_sigma(&e, !cased),
                    };
                    matchers.push(Matcher::Str { pat, cased });
                }
            }
        }
        Ok(Item {
            field,
            matchers,
            all: m.all,
        })
    }

    fn expand(&self, s: &str, at: &str, ctx: &Ctx<'_>) -> Result<Vec<String>, RuleError> {
        let Some(start) = s.find('%') else {
            return Ok(vec![s.to_string()]);
        };
        let Some(len) = s[start + 1..].find('%') else {
            return Ok(vec![s.to_string()]);
        };
        let name = &s[start + 1..start + 1 + len];
        let values = match self.placeholders.get(name) {
            Some(v) if !v.is_empty() => v,
            _ => {
                let mut e = ctx.err(
                    at,
                    format!(
                        "placeholder %{name}% has no values: set detect.placeholders.{name} in parapet.toml"
                    ),
                );
                e.placeholder = Some(name.to_string());
                return Err(e);
            }
        };
        let (head, tail) = (&s[..start], &s[start + len + 2..]);
        let mut out = Vec::new();
        for v in values {
            for rest in self.expand(tail, at, ctx)? {
                out.push(format!("{head}{v}{rest}"));
            }
        }
        Ok(out)
    }

    fn correlation(
        &mut self,
        c: &Yaml,
        doc: &yaml_rust2::yaml::Hash,
        ctx: &Ctx<'_>,
    ) -> Result<Correlation, RuleError> {
        let Yaml::Hash(h) = c else {
            return Err(ctx.err(
                "correlation",
                "must be a mapping (type, rules, group-by, timespan, condition)",
            ));
        };
        let kind = match key(h, "type").and_then(scalar).as_deref() {
            Some("event_count") => CorrelationKind::EventCount,
            Some("value_count") => CorrelationKind::ValueCount,
            Some("temporal") => CorrelationKind::Temporal,
            Some("temporal_ordered") => CorrelationKind::TemporalOrdered,
            Some(other) => {
                return Err(ctx.err(
                    "correlation.type",
                    format!(
                        "'{other}' is not supported (event_count, value_count, temporal, temporal_ordered)"
                    ),
                ))
            }
            None => return Err(ctx.err("correlation.type", "missing")),
        };
        let rules = strings(key(h, "rules"));
        if rules.is_empty() {
            return Err(ctx.err("correlation.rules", "name at least one rule (by name or id)"));
        }
        let timespan_text = key(h, "timespan")
            .or_else(|| key(h, "timeframe"))
            .and_then(scalar)
            .ok_or_else(|| ctx.err("correlation.timespan", "missing (e.g. 5m)"))?;
        let timespan_ms = parse_timespan(&timespan_text).ok_or_else(|| {
            ctx.err(
                "correlation.timespan",
                format!("'{timespan_text}' is not a number followed by s, m, h, d or w"),
            )
        })?;
        let group_by = strings(key(h, "group-by"));
        let mut aliases = Vec::new();
        if let Some(a) = key(h, "aliases") {
            let Yaml::Hash(ah) = a else {
                return Err(ctx.err("correlation.aliases", "must map each alias to {rule: field}"));
            };
            for (alias, per_rule) in ah {
                let (Some(alias), Yaml::Hash(pr)) = (scalar(alias), per_rule) else {
                    return Err(ctx.err("correlation.aliases", "must map each alias to {rule: field}"));
                };
                let mut pairs = Vec::new();
                for (r, f) in pr {
                    match (scalar(r), scalar(f)) {
                        (Some(r), Some(f)) => pairs.push((r, f)),
                        _ => {
                            return Err(ctx.err(
                                format!("correlation.aliases.{alias}"),
                                "must map rule names to field names",
                            ))
                        }
                    }
                }
                aliases.push((alias, pairs));
            }
        }
        let mut field = None;
        let at_least = match key(h, "condition") {
            None if matches!(kind, CorrelationKind::Temporal | CorrelationKind::TemporalOrdered) => {
                rules.len() as u64
            }
            None => {
                return Err(ctx.err(
                    "correlation.condition",
                    "event_count and value_count need a condition such as 'gte: 10'",
                ))
            }
            Some(Yaml::Hash(ch)) => {
                let mut at_least = None;
                for (k, v) in ch {
                    let k = scalar(k).unwrap_or_default();
                    match k.as_str() {
                        "field" => field = scalar(v),
                        "gte" | "gt" => {
                            let n = match v {
                                Yaml::Integer(n) if *n >= 0 => *n as u64,
                                _ => return Err(ctx.err(format!("correlation.condition.{k}"), "needs a whole number")),
                            };
                            at_least = Some(if k == "gt" { n + 1 } else { n });
                        }
                        "lt" | "lte" | "eq" | "neq" | "range" => {
                            return Err(ctx.err(
                                format!("correlation.condition.{k}"),
                                format!("'{k}' is not supported: parapet fires a correlation as soon as it holds, and '{k}' can only be decided once a window has closed (use gte/gt)"),
                            ))
                        }
                        other => return Err(ctx.err("correlation.condition", format!("unknown key '{other}'"))),
                    }
                }
                at_least.ok_or_else(|| ctx.err("correlation.condition", "needs gte or gt"))?
            }
            Some(_) => return Err(ctx.err("correlation.condition", "must be a mapping such as {gte: 10}")),
        };
        if kind == CorrelationKind::ValueCount && field.is_none() {
            return Err(ctx.err(
                "correlation.condition.field",
                "value_count needs the field whose distinct values are counted",
            ));
        }
        if at_least == 0 {
            return Err(ctx.err(
                "correlation.condition",
                "a threshold of 0 would fire on nothing; use at least 1",
            ));
        }
        let generate = matches!(
            key(h, "generate").or_else(|| key(doc, "generate")),
            Some(Yaml::Boolean(true))
        );
        Ok(Correlation {
            kind,
            rules,
            group_by,
            aliases,
            timespan_ms,
            at_least,
            field,
            generate,
        })
    }
}

fn check_logsource(ls: Option<&Yaml>, ctx: &Ctx<'_>) -> Result<Source, RuleError> {
    let Some(Yaml::Hash(h)) = ls else {
        return Err(ctx.err(
            "logsource",
            "missing: parapet reads rules with 'product: aws' and 'service: cloudtrail', 'vpcflow' or 'route53resolver'",
        ));
    };
    let product = key(h, "product").and_then(scalar).unwrap_or_default();
    let service = key(h, "service").and_then(scalar).unwrap_or_default();
    Source::from_logsource(&product, &service).ok_or_else(|| {
        ctx.err(
            "logsource",
            format!(
                "product '{product}' service '{service}' is not a log parapet runs rules on (aws: cloudtrail, vpcflow, route53resolver)"
            ),
        )
    })
}
