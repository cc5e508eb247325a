//! Correlation windows, decided over the set of matches of one group, whatever order they
//! arrived in.
//!
//! A window starts at each match and spans `timespan` (both ends included: a match exactly
//! `timespan` after the first is inside). When the window satisfies the correlation, every
//! match in it fires. Adding matches only adds or widens satisfied windows, so what fires is a
//! monotone function of the set: a run that sees the matches in several batches, or late, fires
//! the same events as one run over all of them.

use std::collections::HashMap;

use parapet_model::CorrelationEvent;

use crate::rule::{Correlation, CorrelationKind};

/// One distinct event of the group.
struct Slot<'a> {
    time: i64,
    uid: &'a str,
    rules: Vec<&'a str>,
    value: Option<&'a str>,
}

/// The indices (into `events`) of the matches that fire. `order` is the correlation's rules
/// by id, in their written order (for `temporal_ordered`).
pub fn firing(c: &Correlation, order: &[String], events: &[CorrelationEvent]) -> Vec<usize> {
    // Distinct events (one event can match several base rules), by time then id.
    let mut by_uid: HashMap<&str, usize> = HashMap::new();
    let mut slots: Vec<Slot<'_>> = Vec::new();
    for e in events {
        match by_uid.get(e.event.uid.as_str()) {
            Some(&i) => {
                if !slots[i].rules.contains(&e.rule.as_str()) {
                    slots[i].rules.push(&e.rule);
                }
            }
            None => {
                by_uid.insert(&e.event.uid, slots.len());
                slots.push(Slot {
                    time: e.event.time_ms,
                    uid: &e.event.uid,
                    rules: vec![&e.rule],
                    value: e.value.as_deref(),
                });
            }
        }
    }
    slots.sort_by(|a, b| (a.time, a.uid).cmp(&(b.time, b.uid)));
    let n = slots.len();
    let mut fire = vec![false; n];
    let need = c.at_least as usize;
    // `end` is one past the last slot inside the window that starts at `i`.
    let mut end = 0;
    let mut values: HashMap<&str, usize> = HashMap::new();
    let mut rules: HashMap<&str, usize> = HashMap::new();
    fn add<'a>(s: &Slot<'a>, values: &mut HashMap<&'a str, usize>, rules: &mut HashMap<&'a str, usize>) {
        if let Some(v) = s.value {
            *values.entry(v).or_insert(0) += 1;
        }
        for r in &s.rules {
            *rules.entry(*r).or_insert(0) += 1;
        }
    }
    let remove = |s: &Slot<'_>, values: &mut HashMap<&str, usize>, rules: &mut HashMap<&str, usize>| {
        if let Some(v) = s.value {
            if let Some(c) = values.get_mut(v) {
                *c -= 1;
                if *c == 0 {
                    values.remove(v);
                }
            }
        }
        for r in &s.rules {
            if let Some(c) = rules.get_mut(*r) {
                *c -= 1;
                if *c == 0 {
                    rules.remove(*r);
                }
            }
        }
    };
    let mut marked_to = 0;
    for i in 0..n {
        let limit = slots[i].time.saturating_add(c.timespan_ms);
        while end < n && slots[end].time <= limit {
            add(&slots[end], &mut values, &mut rules);
            end += 1;
        }
        let holds = match c.kind {
            CorrelationKind::EventCount => end - i >= need,
            CorrelationKind::ValueCount => values.len() >= need,
            CorrelationKind::Temporal => rules.len() >= need,
            CorrelationKind::TemporalOrdered => ordered_chain(&slots[i..end], order),
        };
        if holds {
            for f in fire.iter_mut().take(end).skip(marked_to.max(i)) {
                *f = true;
            }
            marked_to = marked_to.max(end);
        }
        remove(&slots[i], &mut values, &mut rules);
    }
    let fired: std::collections::HashSet<&str> = slots
        .iter()
        .zip(&fire)
        .filter(|(_, f)| **f)
        .map(|(s, _)| s.uid)
        .collect();
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| fired.contains(e.event.uid.as_str()))
        .map(|(i, _)| i)
        .collect()
}

/// Whether the slots (in time order) hold the rules of `order` one after the other; matches at
/// the same time count as in order whichever way round they are.
fn ordered_chain(slots: &[Slot<'_>], order: &[String]) -> bool {
    let mut k = 0;
    let mut start = 0;
    while start < slots.len() && k < order.len() {
        let mut stop = start;
        while stop < slots.len() && slots[stop].time == slots[start].time {
            stop += 1;
        }
        loop {
            let before = k;
            for s in &slots[start..stop] {
                if k < order.len() && s.rules.contains(&order[k].as_str()) {
                    k += 1;
                }
            }
            if k == before || k == order.len() {
                break;
            }
        }
        start = stop;
    }
    k == order.len()
}

#[cfg(test)]
mod tests {
    use parapet_model::EventRef;

    use super::*;

    fn corr(kind: CorrelationKind, at_least: u64, secs: i64) -> Correlation {
        Correlation {
            kind,
            rules: vec!["a".into(), "b".into()],
            group_by: vec![],
            aliases: vec![],
            timespan_ms: secs * 1000,
            at_least,
            field: None,
            generate: false,
        }
    }

    fn ev(uid: &str, secs: i64, rule: &str, value: Option<&str>) -> CorrelationEvent {
        CorrelationEvent {
            correlation: "c".into(),
            rule: rule.into(),
            group: "[]".into(),
            value: value.map(str::to_string),
            event: EventRef {
                uid: uid.into(),
                time_ms: secs * 1000,
                account_id: None,
                region: None,
                actor: None,
                action: None,
                excerpt: "{}".into(),
            },
        }
    }

    fn uids(events: &[CorrelationEvent], idx: Vec<usize>) -> Vec<&str> {
        idx.into_iter().map(|i| events[i].event.uid.as_str()).collect()
    }

    #[test]
    fn event_count_window_includes_its_end() {
        let c = corr(CorrelationKind::EventCount, 3, 300);
        // 0, 150, 300: the third is exactly 5 minutes after the first: inside.
        let e = vec![
            ev("1", 0, "a", None),
            ev("2", 150, "a", None),
            ev("3", 300, "a", None),
        ];
        assert_eq!(uids(&e, firing(&c, &[], &e)), ["1", "2", "3"]);
        // 0, 150, 301: no window holds three.
        let e = vec![
            ev("1", 0, "a", None),
            ev("2", 150, "a", None),
            ev("3", 301, "a", None),
        ];
        assert!(firing(&c, &[], &e).is_empty());
    }

    #[test]
    fn order_and_batches_do_not_change_what_fires() {
        let c = corr(CorrelationKind::EventCount, 3, 300);
        let all = vec![
            ev("1", 0, "a", None),
            ev("2", 100, "a", None),
            ev("3", 1000, "a", None),
            ev("4", 1100, "a", None),
            ev("5", 1200, "a", None),
            ev("6", 1250, "a", None),
        ];
        let whole: Vec<&str> = uids(&all, firing(&c, &[], &all));
        assert_eq!(whole, ["3", "4", "5", "6"]);
        let mut rev = all.clone();
        rev.reverse();
        let mut r = uids(&rev, firing(&c, &[], &rev));
        r.sort();
        assert_eq!(r, whole);
        // Seen in two batches (the second late): the union of what fired is the same.
        let first: Vec<CorrelationEvent> = vec![all[2].clone(), all[4].clone(), all[5].clone()];
        let mut union: std::collections::BTreeSet<&str> =
            uids(&first, firing(&c, &[], &first)).into_iter().collect();
        union.extend(whole.iter().copied());
        assert_eq!(union.into_iter().collect::<Vec<_>>(), whole);
    }

    #[test]
    fn duplicates_count_once() {
        let c = corr(CorrelationKind::EventCount, 2, 60);
        let e = vec![ev("1", 0, "a", None), ev("1", 0, "b", None)];
        assert!(firing(&c, &[], &e).is_empty());
    }

    #[test]
    fn value_count_counts_distinct_values() {
        let mut c = corr(CorrelationKind::ValueCount, 3, 60);
        c.field = Some("x".into());
        let e = vec![
            ev("1", 0, "a", Some("u1")),
            ev("2", 10, "a", Some("u1")),
            ev("3", 20, "a", Some("u2")),
            ev("4", 71, "a", Some("u3")),
        ];
        assert!(firing(&c, &[], &e).is_empty());
        let e2 = [e.clone(), vec![ev("5", 30, "a", Some("u3"))]].concat();
        assert_eq!(uids(&e2, firing(&c, &[], &e2)), ["1", "2", "3", "5"]);
    }

    #[test]
    fn temporal_needs_every_rule_and_ordered_their_order() {
        let order = vec!["a".to_string(), "b".to_string()];
        let t = corr(CorrelationKind::Temporal, 2, 60);
        let o = corr(CorrelationKind::TemporalOrdered, 2, 60);
        let ab = vec![ev("1", 0, "a", None), ev("2", 60, "b", None)];
        let ba = vec![ev("1", 0, "b", None), ev("2", 30, "a", None)];
        let far = vec![ev("1", 0, "a", None), ev("2", 61, "b", None)];
        assert_eq!(firing(&t, &order, &ab).len(), 2);
        assert_eq!(firing(&t, &order, &ba).len(), 2);
        assert!(firing(&t, &order, &far).is_empty());
        assert_eq!(firing(&o, &order, &ab).len(), 2);
        assert!(firing(&o, &order, &ba).is_empty());
        // Same second counts as in order.
        let same = vec![ev("1", 5, "b", None), ev("2", 5, "a", None)];
        assert_eq!(firing(&o, &order, &same).len(), 2);
    }
}
