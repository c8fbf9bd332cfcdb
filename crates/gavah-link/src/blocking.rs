//! Blocking: the candidate pairs worth comparing. Each rule keys every record
//! (surname key + given initial, phonetic full name, date + initial, …); two
//! records sharing a key are a candidate pair. The union over rules, with
//! duplicates removed, is what the model scores.
//!
//! A block larger than [`BlockingOptions::max_block`] would cost quadratic
//! time, so it is sub-blocked instead: its records are sorted by name and each
//! is paired with the next [`BlockingOptions::window`] records (sorted
//! neighbourhood). The report says which rules did this and how often.

use crate::compare::prefetch;
use crate::data::{Dataset, FieldKind, MISSING, Value};
use rayon::prelude::*;
use rustc_hash::FxHasher;
use serde::Serialize;
use std::hash::{Hash, Hasher};

/// One part of a blocking key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KeyPart {
    /// The transliteration key of a name.
    NameKey(usize),
    /// The phonetic key of a name.
    Phonetic(usize),
    /// The first letter of a name's transliteration key.
    Initial(usize),
    /// The first three letters of the phonetic key.
    PhoneticPrefix(usize),
    /// The raw value (for dates, numbers, places).
    Exact(usize),
    /// The year of a date.
    Year(usize),
    /// The province of a place.
    Province(usize),
    /// Two name fields as an unordered pair (catches given name and surname swapped).
    UnorderedNames(usize, usize),
}

/// A blocking rule: records agreeing on every part are compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockingRule {
    pub name: String,
    pub parts: Vec<KeyPart>,
    /// An optional rule runs only when its blocks would yield at most
    /// [`BlockingOptions::pair_budget_per_record`] pairs per record: coarse
    /// keys (a date alone, a postcode alone) that raise recall on small files
    /// and would be quadratic on large ones.
    pub optional: bool,
}

/// Limits that keep blocking sub-quadratic.
#[derive(Debug, Clone, Copy)]
pub struct BlockingOptions {
    /// Blocks with more records than this are sub-blocked.
    pub max_block: usize,
    /// Neighbours each record is paired with inside a sub-blocked block.
    pub window: usize,
    /// Pairs per record an optional rule may yield.
    pub pair_budget_per_record: f64,
}

impl Default for BlockingOptions {
    fn default() -> Self {
        BlockingOptions {
            max_block: 25,
            window: 5,
            pair_budget_per_record: 10.0,
        }
    }
}

/// What one rule contributed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleReport {
    pub rule: String,
    /// Pairs the rule yields (before removing those of earlier rules).
    pub pairs: u64,
    /// Pairs no earlier rule yielded.
    pub new_pairs: u64,
    /// Blocks too large to compare in full, sub-blocked instead.
    pub oversized_blocks: u64,
    /// Records in those blocks.
    pub oversized_records: u64,
    /// True pairs among this rule's pairs, when ground truth was given.
    pub true_pairs: Option<u64>,
    /// An optional rule skipped because it would have yielded this many pairs.
    pub skipped_over_budget: Option<u64>,
}

/// The blocking report: per rule and overall.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BlockingReport {
    pub rules: Vec<RuleReport>,
    pub candidate_pairs: u64,
    /// Pairs that are truly the same entity (ground truth).
    pub true_pairs: Option<u64>,
    /// True pairs among the candidates / all true pairs: no model can do better.
    pub recall_ceiling: Option<f64>,
}

/// The default rules for a data set's field kinds.
pub fn default_rules(data: &Dataset) -> Vec<BlockingRule> {
    let of = |k| data.column_of(k);
    let (g, s, f) = (
        of(FieldKind::GivenName),
        of(FieldKind::Surname),
        of(FieldKind::FullName),
    );
    let mut rules = Vec::new();
    let mut add = |name: String, parts: Vec<KeyPart>, optional: bool| {
        rules.push(BlockingRule {
            name,
            parts,
            optional,
        });
    };
    // Rules on names always run (large blocks are sub-blocked); rules on
    // places, numbers and event dates run only when their blocks are small
    // enough: a state or a house number splits a million records too little.
    let mut rule = |name: String, parts: Vec<KeyPart>| add(name, parts, false);
    let name_of = |c: usize| data.columns[c].name.clone();
    if let (Some(g), Some(s)) = (g, s) {
        rule(
            format!("{} key + {} initial", name_of(s), name_of(g)),
            vec![KeyPart::NameKey(s), KeyPart::Initial(g)],
        );
        rule(
            format!("{} key + {} initial", name_of(g), name_of(s)),
            vec![KeyPart::NameKey(g), KeyPart::Initial(s)],
        );
        rule(
            format!("phonetic {} + {}", name_of(g), name_of(s)),
            vec![KeyPart::Phonetic(g), KeyPart::Phonetic(s)],
        );
        rule(
            format!("{} and {} in either order", name_of(g), name_of(s)),
            vec![KeyPart::UnorderedNames(g, s)],
        );
    } else if let Some(n) = s.or(g) {
        rule(format!("{} key", name_of(n)), vec![KeyPart::NameKey(n)]);
        rule(
            format!("phonetic {}", name_of(n)),
            vec![KeyPart::Phonetic(n)],
        );
    }
    if let Some(f) = f {
        rule(format!("{} key", name_of(f)), vec![KeyPart::NameKey(f)]);
        rule(
            format!("phonetic {}", name_of(f)),
            vec![KeyPart::Phonetic(f)],
        );
    }
    // Initials that split large blocks of dates, places and numbers.
    let initials: Vec<usize> = [s, g, f].into_iter().flatten().collect();
    let mut optional_rules = Vec::new();
    let n = data.len().max(1);
    for (i, c) in data.columns.iter().enumerate() {
        let distinct = c.values.len();
        // Share of records the commonest value covers decides whether a value
        // alone is a usable key.
        let selective = distinct * 4 >= c.present as usize && c.present as usize * 2 >= n;
        match c.kind {
            FieldKind::Date => {
                for &k in initials.iter().take(2) {
                    rule(
                        format!("{} + {} initial", c.name, name_of(k)),
                        vec![KeyPart::Exact(i), KeyPart::Initial(k)],
                    );
                }
                if initials.is_empty() {
                    rule(c.name.clone(), vec![KeyPart::Exact(i)]);
                }
            }
            FieldKind::Number if selective => {
                rule(c.name.clone(), vec![KeyPart::Exact(i)]);
            }
            FieldKind::Number | FieldKind::Place => {
                if let Some(&k) = initials.first() {
                    optional_rules.push(BlockingRule {
                        name: format!("{} + phonetic {} prefix", c.name, name_of(k)),
                        parts: vec![KeyPart::Exact(i), KeyPart::PhoneticPrefix(k)],
                        optional: true,
                    });
                }
            }
            _ => {}
        }
    }
    // Casualty lists: the same event date in the same province.
    let dates: Vec<usize> = (0..data.columns.len())
        .filter(|&i| data.columns[i].kind == FieldKind::Date)
        .collect();
    if let Some(p) = of(FieldKind::Place) {
        for d in dates {
            optional_rules.push(BlockingRule {
                name: format!(
                    "{} + province of {}",
                    data.columns[d].name, data.columns[p].name
                ),
                parts: vec![KeyPart::Exact(d), KeyPart::Province(p)],
                optional: true,
            });
        }
    }
    rules.extend(optional_rules);
    // Coarse keys, each one column alone: run only when affordable.
    for (i, c) in data.compared() {
        let part = match c.kind {
            k if k.is_name() => KeyPart::NameKey(i),
            FieldKind::Date | FieldKind::Number | FieldKind::Place | FieldKind::Text => {
                KeyPart::Exact(i)
            }
            _ => continue,
        };
        if rules.iter().any(|r| r.parts == [part]) {
            continue;
        }
        rules.push(BlockingRule {
            name: format!("{} alone", c.name),
            parts: vec![part],
            optional: true,
        });
    }
    rules
}

/// The keys of every record under a rule, 0 where a part is missing (a key
/// that hashes to 0 is taken as 1: one more 64-bit collision, in exchange for
/// half the memory of `Option<u64>` in a vector per rule of every record).
///
/// Each part is hashed once per distinct value of each column it reads, and a
/// record's key combines its values' hashes: far fewer hashes of strings than
/// one per record, and the per-value tables are small enough to stay in
/// cache. Two records get the same key exactly when their parts are equal (up
/// to 64-bit hash collisions, as before).
fn rule_keys(data: &Dataset, rule: &BlockingRule) -> Vec<u64> {
    // Per part, per column it reads (two for an unordered pair of names):
    // the column and its values' hashes.
    let tables: Vec<Vec<(usize, Vec<Option<u64>>)>> = rule
        .parts
        .iter()
        .map(|&part| {
            let columns = match part {
                KeyPart::UnorderedNames(a, b) => vec![a, b],
                _ => vec![part_column(part)],
            };
            columns
                .into_iter()
                .map(|c| {
                    let hashes = data.columns[c]
                        .values
                        .iter()
                        .map(|v| value_part_hash(part, v))
                        .collect();
                    (c, hashes)
                })
                .collect()
        })
        .collect();
    let key = |r: usize| {
        let mut h = FxHasher::default();
        for table in &tables {
            let mut x = [0u64; 2];
            for (slot, (c, hashes)) in x.iter_mut().zip(table) {
                *slot = hashes[id_of(data, *c, r)?]?;
            }
            if table.len() == 2 {
                // An unordered pair: the same key in either order.
                h.write_u64(x[0].min(x[1]));
                h.write_u64(x[0].max(x[1]));
            } else {
                h.write_u64(x[0]);
            }
        }
        Some(finished(&h))
    };
    (0..data.len()).map(|r| key(r).unwrap_or(0)).collect()
}

/// A record's key from its parts' hashes, never 0 (which stands for none).
fn finished(h: &FxHasher) -> u64 {
    h.finish().max(1)
}

/// The pairs a block of `b` records yields in full.
fn pairs_in(b: u64) -> u64 {
    b * b.saturating_sub(1) / 2
}

fn id_of(data: &Dataset, c: usize, r: usize) -> Option<usize> {
    match data.columns[c].ids[r] {
        MISSING => None,
        id => Some(id as usize),
    }
}

fn hash_of<T: Hash + ?Sized>(x: &T) -> u64 {
    let mut h = FxHasher::default();
    x.hash(&mut h);
    h.finish()
}

/// The column a part reads (the first, for a pair of names).
fn part_column(part: KeyPart) -> usize {
    match part {
        KeyPart::NameKey(c)
        | KeyPart::Phonetic(c)
        | KeyPart::Initial(c)
        | KeyPart::PhoneticPrefix(c)
        | KeyPart::Exact(c)
        | KeyPart::Year(c)
        | KeyPart::Province(c)
        | KeyPart::UnorderedNames(c, _) => c,
    }
}

/// A part's hash for one value, or `None` when the value has no such part (a
/// name without a phonetic key, a date without a year). For an unordered pair
/// of names, the hash of either name's key.
fn value_part_hash(part: KeyPart, v: &Value) -> Option<u64> {
    let name = || match v {
        Value::Name(n) => Some(n),
        _ => None,
    };
    Some(match part {
        KeyPart::NameKey(_) | KeyPart::UnorderedNames(..) => hash_of(&name()?.key),
        KeyPart::Phonetic(_) => {
            let p = &name()?.phonetic;
            if p.is_empty() {
                return None;
            }
            hash_of(p)
        }
        KeyPart::Initial(_) => hash_of(&name()?.key.chars().next()?),
        KeyPart::PhoneticPrefix(_) => {
            let p = &name()?.phonetic;
            let end = p.char_indices().nth(3).map_or(p.len(), |(i, _)| i);
            if end == 0 {
                return None;
            }
            hash_of(&p[..end])
        }
        KeyPart::Exact(_) => match v {
            Value::Date(d) if !d.digits.is_empty() => hash_of(&d.digits),
            Value::Date(d) => hash_of(&(d.days, d.year)),
            Value::Text(t) => hash_of(t),
            Value::Place(p) => hash_of(&p.key),
            Value::Age(a) => hash_of(a),
            Value::Name(n) => hash_of(&n.key),
            Value::Missing => return None,
        },
        KeyPart::Year(_) => match v {
            Value::Date(d) if d.year != 0 => hash_of(&d.year),
            _ => return None,
        },
        KeyPart::Province(_) => match v {
            Value::Place(p) => hash_of(p.province.as_ref()?),
            _ => return None,
        },
    })
}

/// A candidate pair, the smaller record index first.
pub type Pair = (u32, u32);

/// The text records in an oversized block are sorted by: their name keys.
fn sort_key(data: &Dataset, r: usize) -> String {
    name_sort_key(data.columns.iter().filter_map(|c| match c.value(r) {
        Some(Value::Name(n)) if c.kind.is_name() => Some(n.key.as_str()),
        _ => None,
    }))
}

/// The order a sub-blocked block is sorted in, from the transliteration keys
/// of a record's name fields in column order (see `translit::name_keys`):
/// for callers that keep it, such as the store's incremental link.
pub fn name_sort_key<'a>(keys: impl IntoIterator<Item = &'a str>) -> String {
    let mut k = String::new();
    for key in keys {
        k.push_str(key);
        k.push('|');
    }
    k
}

/// Each record's place in the order of [`sort_key`]: records with equal keys
/// share a rank. Sub-blocked blocks sort their records by rank then index,
/// the order of sorting the keys' strings, without building a string per
/// record in every oversized block of every rule.
fn name_ranks(data: &Dataset) -> Vec<u32> {
    // Led by the key's first eight bytes as a big-endian number (zero
    // padded), which order as the strings do: most comparisons end there.
    let mut keyed: Vec<(u64, String, u32)> = (0..data.len())
        .into_par_iter()
        .map(|r| {
            let key = sort_key(data, r);
            let mut head = [0u8; 8];
            let n = key.len().min(8);
            head[..n].copy_from_slice(&key.as_bytes()[..n]);
            (u64::from_be_bytes(head), key, r as u32)
        })
        .collect();
    keyed.par_sort_unstable();
    let mut rank = vec![0u32; data.len()];
    let mut current = 0u32;
    for (i, (_, key, r)) in keyed.iter().enumerate() {
        if i > 0 && *key != keyed[i - 1].1 {
            current += 1;
        }
        rank[*r as usize] = current;
    }
    rank
}

/// The pairs of one rule, with its report (without truth or novelty counts).
/// `ranks` are [`name_ranks`], needed when the rule has oversized blocks.
fn rule_pairs(
    data: &Dataset,
    keyed: &[(u64, u32)],
    ranks: &[u32],
    opts: BlockingOptions,
    rule_name: &str,
) -> (Vec<Pair>, RuleReport) {
    let mut report = RuleReport {
        rule: rule_name.to_string(),
        ..RuleReport::default()
    };
    // Room for every pair at once: growing a vector of millions of pairs
    // copies it each time into freshly zeroed memory.
    let mut capacity = 0usize;
    for block in keyed.chunk_by(|x, y| x.0 == y.0) {
        let b = block.len();
        capacity += if b <= opts.max_block {
            pairs_in(b as u64) as usize
        } else {
            b * opts.window
        };
    }
    let mut pairs = Vec::with_capacity(capacity);
    let keep =
        |a: u32, b: u32| !data.link_only || data.source[a as usize] != data.source[b as usize];
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        while end < keyed.len() && keyed[end].0 == keyed[start].0 {
            end += 1;
        }
        let block = &keyed[start..end];
        if block.len() <= opts.max_block {
            for (i, &(_, a)) in block.iter().enumerate() {
                for &(_, b) in &block[i + 1..] {
                    if keep(a, b) {
                        pairs.push((a, b));
                    }
                }
            }
        } else {
            report.oversized_blocks += 1;
            report.oversized_records += block.len() as u64;
            let mut sorted: Vec<(u32, u32)> =
                block.iter().map(|&(_, r)| (ranks[r as usize], r)).collect();
            sorted.sort_unstable();
            for (i, &(_, a)) in sorted.iter().enumerate() {
                for &(_, b) in sorted.iter().skip(i + 1).take(opts.window) {
                    if keep(a, b) {
                        pairs.push((a.min(b), a.max(b)));
                    }
                }
            }
        }
        start = end;
    }
    report.pairs = pairs.len() as u64;
    (pairs, report)
}

/// The candidate pairs of the union of `rules`, sorted and without duplicates,
/// and the report. `truth`, when given, is an entity label per record.
pub fn candidate_pairs(
    data: &Dataset,
    rules: &[BlockingRule],
    opts: BlockingOptions,
    truth: Option<&[u32]>,
) -> (Vec<Pair>, BlockingReport) {
    let n = data.len();
    let budget = (opts.pair_budget_per_record * n as f64) as u64;
    let lap = crate::pipeline::stage_clock("blocking");
    // Per rule: its keys, its records sorted by key, and its plan: whether it
    // is skipped (with the pairs it would have cost) and which keys name
    // oversized blocks. A pair counts as already yielded by an earlier rule
    // only when that rule ran and compared the pair's block in full. A
    // skipped rule keeps nothing.
    type Planned = (
        Vec<u64>,
        Vec<(u64, u32)>,
        Option<u64>,
        rustc_hash::FxHashSet<u64>,
    );
    let planned: Vec<Planned> = rules
        .par_iter()
        .map(|rule| {
            if rule.optional
                && let Some(cost) = one_column_cost(data, rule)
                && cost > budget
            {
                return (Vec::new(), Vec::new(), Some(cost), Default::default());
            }
            let keys = rule_keys(data, rule);
            let mut keyed: Vec<(u64, u32)> = keys
                .iter()
                .enumerate()
                .filter(|&(_, &k)| k != 0)
                .map(|(r, &k)| (k, r as u32))
                .collect();
            keyed.sort_unstable();
            let (cost, oversized) = block_sizes(&keyed, opts.max_block);
            if rule.optional && cost > budget {
                (Vec::new(), Vec::new(), Some(cost), oversized)
            } else {
                (keys, keyed, None, oversized)
            }
        })
        .collect();
    lap("keys sorted");
    let (mut keys, mut keyed, mut plans) = (Vec::new(), Vec::new(), Vec::new());
    for (k, sorted, skipped, oversized) in planned {
        keys.push(k);
        keyed.push(sorted);
        plans.push((skipped, oversized));
    }
    // The keys of the rules that run, side by side per record (0 for none):
    // whether an earlier rule yields a pair then reads two rows, where the
    // rules' own key vectors cost a cache miss per rule and record.
    let ran: Vec<usize> = (0..rules.len()).filter(|&i| plans[i].0.is_none()).collect();
    let width = ran.len();
    let mut rows = vec![0u64; n * width];
    rows.par_chunks_mut(width.max(1))
        .enumerate()
        .for_each(|(r, row)| {
            for (slot, &i) in row.iter_mut().zip(&ran) {
                *slot = keys[i][r];
            }
        });
    drop(keys);
    let sub_blocks = plans
        .iter()
        .any(|(skipped, oversized)| skipped.is_none() && !oversized.is_empty());
    let ranks = if sub_blocks {
        name_ranks(data)
    } else {
        Vec::new()
    };
    lap("rows of keys and name ranks");
    let per_rule: Vec<(Vec<Pair>, RuleReport)> = rules
        .par_iter()
        .enumerate()
        .map(|(i, rule)| {
            if let Some(cost) = plans[i].0 {
                let report = RuleReport {
                    rule: rule.name.clone(),
                    skipped_over_budget: Some(cost),
                    ..RuleReport::default()
                };
                return (Vec::new(), report);
            }
            let (mut pairs, mut report) = rule_pairs(data, &keyed[i], &ranks, opts, &rule.name);
            // A pair an earlier rule already yields in full is dropped here,
            // which keeps the union small before the final sort.
            let earlier = ran.iter().take_while(|&&j| j < i).count();
            if earlier > 0 {
                let row = |r: u32| &rows[r as usize * width..][..earlier];
                let mut kept = 0;
                for k in 0..pairs.len() {
                    // The rows of a pair some pairs ahead, which sit anywhere
                    // (see `compare::prefetch`).
                    if let Some(&(x, y)) = pairs.get(k + 8) {
                        for r in [x, y] {
                            prefetch(&row(r)[0]);
                            prefetch(&row(r)[earlier - 1]);
                        }
                    }
                    let (a, b) = pairs[k];
                    let yielded =
                        row(a).iter().zip(row(b)).zip(&ran).any(|((&ka, &kb), &j)| {
                            ka != 0 && ka == kb && !plans[j].1.contains(&ka)
                        });
                    if !yielded {
                        pairs[kept] = (a, b);
                        kept += 1;
                    }
                }
                pairs.truncate(kept);
            }
            report.new_pairs = pairs.len() as u64;
            if let Some(t) = truth {
                report.true_pairs = Some(
                    pairs
                        .iter()
                        .filter(|&&(a, b)| t[a as usize] == t[b as usize])
                        .count() as u64,
                );
            }
            (pairs, report)
        })
        .collect();
    lap("pairs per rule");
    let mut report = BlockingReport::default();
    let mut parts = Vec::with_capacity(per_rule.len());
    for (pairs, r) in per_rule {
        parts.push(pairs);
        report.rules.push(r);
    }
    // Pairs from sub-blocked blocks may repeat across rules.
    let all = sorted_union(&parts, n);
    drop(parts);
    lap("pairs sorted");
    report.candidate_pairs = all.len() as u64;
    if let Some(t) = truth {
        let total = true_pair_count(data, t);
        let found = all
            .iter()
            .filter(|&&(a, b)| t[a as usize] == t[b as usize])
            .count() as u64;
        report.true_pairs = Some(total);
        report.recall_ceiling = Some(if total == 0 {
            1.0
        } else {
            found as f64 / total as f64
        });
    }
    lap("truth counted");
    (all, report)
}

/// The union of the rules' pairs, sorted and without duplicates. A
/// comparison sort of all of them (16 million on the 1,000,000-record file)
/// took a quarter of blocking; here the pairs are counted by first record,
/// placed in their record's slot, and each record's few partners sorted. The
/// records are split in two halves of about equal pairs, each placed and
/// sorted on its own thread (disjoint halves of the output).
fn sorted_union(parts: &[Vec<Pair>], n: usize) -> Vec<Pair> {
    let mut start = vec![0usize; n + 1];
    for &(a, _) in parts.iter().flatten() {
        start[a as usize + 1] += 1;
    }
    for r in 0..n {
        start[r + 1] += start[r];
    }
    let mut all = vec![(0u32, 0u32); start[n]];
    let middle = start.partition_point(|&s| s < start[n] / 2).min(n);
    let (low, high) = all.split_at_mut(start[middle]);
    let place = |out: &mut [Pair], records: std::ops::Range<usize>| {
        let base = start[records.start];
        let mut next: Vec<usize> = start[records.clone()].iter().map(|&s| s - base).collect();
        for &(a, b) in parts.iter().flatten() {
            let a = a as usize;
            if records.contains(&a) {
                let slot = &mut next[a - records.start];
                out[*slot] = (a as u32, b);
                *slot += 1;
            }
        }
        for r in records {
            out[start[r] - base..start[r + 1] - base].sort_unstable();
        }
    };
    rayon::join(|| place(low, 0..middle), || place(high, middle..n));
    all.dedup();
    all
}

/// For a rule of one part that reads one column, the pairs it would yield in
/// full, from the column's distinct values and their counts: its blocks are
/// the values grouped by key, as [`rule_keys`] keys them, so whether an
/// optional rule is over budget is known without keying and sorting every
/// record (half the rules of a default run are such, and skipped on large
/// files). `None` for other rules.
fn one_column_cost(data: &Dataset, rule: &BlockingRule) -> Option<u64> {
    let [part] = rule.parts[..] else {
        return None;
    };
    if matches!(part, KeyPart::UnorderedNames(..)) {
        return None;
    }
    let col = &data.columns[part_column(part)];
    let mut sizes: rustc_hash::FxHashMap<u64, u64> = rustc_hash::FxHashMap::default();
    for (v, &count) in col.values.iter().zip(&col.counts) {
        if let Some(h) = value_part_hash(part, v) {
            let mut key = FxHasher::default();
            key.write_u64(h);
            *sizes.entry(finished(&key)).or_default() += u64::from(count);
        }
    }
    Some(sizes.values().map(|&b| pairs_in(b)).sum())
}

/// The pairs a rule's keys would yield in full (Σ b(b−1)/2 over block sizes
/// b), and the keys of blocks larger than `max_block`.
fn block_sizes(keyed: &[(u64, u32)], max_block: usize) -> (u64, rustc_hash::FxHashSet<u64>) {
    let mut oversized = rustc_hash::FxHashSet::default();
    let mut total = 0u64;
    for block in keyed.chunk_by(|x, y| x.0 == y.0) {
        total += pairs_in(block.len() as u64);
        if block.len() > max_block {
            oversized.insert(block[0].0);
        }
    }
    (total, oversized)
}

/// The number of true pairs implied by entity labels (across sources only in
/// link mode).
pub fn true_pair_count(data: &Dataset, truth: &[u32]) -> u64 {
    let mut counts: rustc_hash::FxHashMap<(u32, u8), u64> = rustc_hash::FxHashMap::default();
    for (r, &e) in truth.iter().enumerate() {
        let src = if data.link_only { data.source[r] } else { 0 };
        *counts.entry((e, src)).or_default() += 1;
    }
    if data.link_only {
        let mut per_entity: rustc_hash::FxHashMap<u32, Vec<u64>> = rustc_hash::FxHashMap::default();
        for ((e, _), c) in counts {
            per_entity.entry(e).or_default().push(c);
        }
        per_entity
            .values()
            .map(|cs| {
                let total: u64 = cs.iter().sum();
                let within: u64 = cs.iter().map(|c| c * c).sum();
                (total * total - within) / 2
            })
            .sum()
    } else {
        counts.values().map(|c| c * (c - 1) / 2).sum()
    }
}

/// True when a record is missing every field a rule needs (for diagnostics).
pub fn has_key(data: &Dataset, rule: &BlockingRule, r: usize) -> bool {
    rule.parts
        .iter()
        .all(|&p| data.columns[part_column(p)].ids[r] != MISSING)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(rows: &[[&str; 3]]) -> Dataset {
        let schema = [
            ("given".to_string(), FieldKind::GivenName),
            ("surname".to_string(), FieldKind::Surname),
            ("dob".to_string(), FieldKind::Date),
        ];
        let mut d = Dataset::new(&schema);
        for r in rows {
            d.push(0, r);
        }
        d
    }

    #[test]
    fn one_column_costs_are_the_costs_of_keying_every_record() {
        let d = dataset(&[
            ["Ali", "Rezaei", "1990-01-01"],
            ["Aly", "Rezaie", "1990-01-01"],
            ["علی", "رضایی", "1990"],
            ["Ali", "", "1990-01-02"],
            ["", "Karimi", ""],
            ["Zahra", "Karimi", "1990-01-01"],
            ["Ali", "Karimi", "1985-05-05"],
        ]);
        let mut checked = 0;
        for rule in default_rules(&d) {
            let Some(cost) = one_column_cost(&d, &rule) else {
                continue;
            };
            let mut keyed: Vec<(u64, u32)> = rule_keys(&d, &rule)
                .into_iter()
                .enumerate()
                .filter(|&(_, k)| k != 0)
                .map(|(r, k)| (k, r as u32))
                .collect();
            keyed.sort_unstable();
            assert_eq!(cost, block_sizes(&keyed, 100).0, "{}", rule.name);
            checked += 1;
        }
        assert!(checked >= 3, "only {checked} one-column rules");
    }

    #[test]
    fn name_ranks_order_records_as_their_sort_keys() {
        // Prefixes of one another, other scripts, missing parts, ties.
        let names = [
            ["ab", "x", ""],
            ["a", "y", ""],
            ["a", "", ""],
            ["", "a", ""],
            ["abcdefghij", "k", ""],
            ["abcdefghi", "jk", ""],
            ["abcdefghij", "k", ""],
            ["محمد", "رضایی", ""],
            ["Mohammad", "Rezaei", ""],
            ["", "", ""],
            ["zahra", "ab", ""],
        ];
        let d = dataset(&names);
        let ranks = name_ranks(&d);
        let mut by_rank: Vec<u32> = (0..names.len() as u32).collect();
        by_rank.sort_by_key(|&r| (ranks[r as usize], r));
        let mut by_key: Vec<u32> = (0..names.len() as u32).collect();
        by_key.sort_by_key(|&r| (sort_key(&d, r as usize), r));
        assert_eq!(by_rank, by_key);
        // Equal keys, equal ranks; different keys, different ranks.
        for a in 0..names.len() {
            for b in 0..names.len() {
                assert_eq!(
                    ranks[a] == ranks[b],
                    sort_key(&d, a) == sort_key(&d, b),
                    "records {a} and {b}"
                );
            }
        }
    }

    #[test]
    fn rules_cover_spelling_swaps_and_typos() {
        let d = dataset(&[
            ["Mohammad", "Rezaei", "1990-01-01"],
            ["محمد", "رضایی", ""],
            ["Rezaei", "Mohammad", ""],
            ["Mohamad", "Rezaey", "1990-01-01"],
            ["Zahra", "Ahmadi", "1985-02-02"],
        ]);
        let rules = default_rules(&d);
        let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "surname key + given initial",
                "given key + surname initial",
                "phonetic given + surname",
                "given and surname in either order",
                "dob + surname initial",
                "dob + given initial",
                "given alone",
                "surname alone",
                "dob alone",
            ]
        );
        let truth = [0, 0, 0, 0, 1];
        let (pairs, report) = candidate_pairs(&d, &rules, BlockingOptions::default(), Some(&truth));
        assert_eq!(pairs, vec![(0, 1), (0, 2), (0, 3), (1, 2), (1, 3)]);
        assert_eq!(report.true_pairs, Some(6));
        let recall = report.recall_ceiling.unwrap_or_default();
        assert!((recall - 5.0 / 6.0).abs() < 1e-9, "{recall}");
        // (2, 3): a swapped name with a typo and no date: no rule finds it.
        assert_eq!(report.rules[0].pairs, 1);
        assert_eq!(report.rules[0].new_pairs, 1);
    }

    #[test]
    fn large_blocks_are_sub_blocked_not_quadratic() {
        let rows: Vec<[String; 3]> = (0..2000)
            .map(|i| ["Ali".to_string(), format!("Name{i:04}"), String::new()])
            .collect();
        let schema = [
            ("given".to_string(), FieldKind::GivenName),
            ("surname".to_string(), FieldKind::Surname),
            ("dob".to_string(), FieldKind::Date),
        ];
        let mut d = Dataset::new(&schema);
        for r in &rows {
            d.push(0, r);
        }
        let rule = BlockingRule {
            name: "given".into(),
            parts: vec![KeyPart::NameKey(0)],
            optional: false,
        };
        let opts = BlockingOptions {
            max_block: 100,
            window: 5,
            ..BlockingOptions::default()
        };
        let (pairs, report) = candidate_pairs(&d, &[rule], opts, None);
        assert_eq!(report.rules[0].oversized_blocks, 1);
        assert_eq!(report.rules[0].oversized_records, 2000);
        // 5 neighbours each, fewer at the end: far from 2000·1999/2.
        assert_eq!(pairs.len(), 2000 * 5 - 15);
        // The same rule, optional, is skipped: 1,999,000 pairs is over budget.
        let optional = BlockingRule {
            name: "given".into(),
            parts: vec![KeyPart::NameKey(0)],
            optional: true,
        };
        let (pairs, report) = candidate_pairs(&d, &[optional], opts, None);
        assert!(pairs.is_empty());
        assert_eq!(report.rules[0].skipped_over_budget, Some(1_999_000));
    }

    #[test]
    fn link_only_pairs_cross_sources() {
        let mut d = dataset(&[]);
        d.link_only = true;
        d.push(0, &["Ali", "Karimi", ""]);
        d.push(0, &["Ali", "Karimi", ""]);
        d.push(1, &["Ali", "Karimi", ""]);
        let rules = default_rules(&d);
        let (pairs, _) = candidate_pairs(&d, &rules, BlockingOptions::default(), None);
        assert_eq!(pairs, vec![(0, 2), (1, 2)]);
        assert_eq!(true_pair_count(&d, &[7, 7, 7]), 2);
    }
}
