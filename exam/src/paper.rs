//! Blueprints, the draw of a paper and its grading.
//!
//! A blueprint says how many questions a paper has and how many must come from each quota
//! (a category, a kind, or both). Quotas never overlap, so each is filled exactly; the
//! rest of the paper comes from questions outside every quota. The draw is a pure function
//! of the pool and a 32-byte seed (ChaCha20): the caller draws the seed from the operating
//! system's CSPRNG and stores it, so every paper can be reproduced.

use rand::seq::{index, SliceRandom};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use crate::bank::{Category, Choice, FieldError, QuestionKind};
use crate::ValueError;

/// A number of questions that must come from a category, a kind, or a category and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quota {
    pub category: Option<Category>,
    pub kind: Option<QuestionKind>,
    pub count: u16,
}

impl Quota {
    fn matches(&self, category: Category, kind: QuestionKind) -> bool {
        self.category.is_none_or(|c| c == category) && self.kind.is_none_or(|k| k == kind)
    }

    fn overlaps(&self, other: &Quota) -> bool {
        let cat = match (self.category, other.category) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        let kind = match (self.kind, other.kind) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        cat && kind
    }
}

/// How a paper is made and marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Blueprint {
    pub question_count: u16,
    #[serde(default)]
    pub quotas: Vec<Quota>,
    pub points_per_question: u16,
    pub duration_minutes: u16,
    pub pass_mark: u16,
}

impl Default for Blueprint {
    /// The campaign's paper: 100 questions of 1 point, 60 minutes, pass at 80.
    fn default() -> Self {
        Self { question_count: 100, quotas: Vec::new(), points_per_question: 1, duration_minutes: 60, pass_mark: 80 }
    }
}

/// The full marks of every paper.
pub const TOTAL_POINTS: u32 = 100;

/// A question as the draw sees it: what the quotas look at, and how many options to shuffle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub category: Category,
    pub kind: QuestionKind,
    pub options: u8,
}

/// A quota (or the free rest, `quota: None`) the pool cannot fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shortfall {
    pub quota: Option<Quota>,
    pub needed: u16,
    pub available: usize,
}

/// One question of a drawn paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Index into the pool given to [`draw`].
    pub pool_index: usize,
    /// `option_order[shown] = canonical`: the option shown at position `shown` (A, B, …) is
    /// the question's option `canonical`. True/false keeps its order.
    pub option_order: Vec<u8>,
}

fn rule(en: &'static str, zh: &'static str) -> ValueError {
    ValueError::Rule { en, zh }
}

impl Blueprint {
    /// The rules of a blueprint on its own (the bank is checked by [`Self::check`]).
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field, error| errors.push(FieldError { field, error });
        if !(1..=200).contains(&self.question_count) {
            fail("blueprint.question_count", rule("must be between 1 and 200", "须在 1 到 200 之间"));
        }
        if u32::from(self.question_count) * u32::from(self.points_per_question) != TOTAL_POINTS {
            fail(
                "blueprint.points_per_question",
                rule("times the question count must make 100 points", "与题量相乘须等于满分 100 分"),
            );
        }
        if !(5..=240).contains(&self.duration_minutes) {
            fail("blueprint.duration_minutes", rule("must be between 5 and 240", "须在 5 到 240 之间"));
        }
        if !(1..=100).contains(&self.pass_mark) {
            fail("blueprint.pass_mark", rule("must be between 1 and 100", "须在 1 到 100 之间"));
        }
        if self.quotas.iter().any(|q| q.count == 0) {
            fail("blueprint.quotas", rule("each quota needs a count of at least 1", "每项配额至少 1 题"));
        }
        let overlapping = self.quotas.iter().enumerate().any(|(i, a)| self.quotas[..i].iter().any(|b| a.overlaps(b)));
        if overlapping {
            fail(
                "blueprint.quotas",
                rule(
                    "must not overlap (a question may belong to one quota only)",
                    "各项配额不能重叠（一道题只能属于一项配额）",
                ),
            );
        }
        let quoted: u32 = self.quotas.iter().map(|q| u32::from(q.count)).sum();
        if quoted > u32::from(self.question_count) {
            fail("blueprint.quotas", rule("add up to more than the question count", "合计超过了题量"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn free_count(&self) -> u16 {
        let quoted = self.quotas.iter().fold(0u16, |sum, q| sum.saturating_add(q.count));
        self.question_count.saturating_sub(quoted)
    }

    /// Splits the pool into one group per quota and a last group for the rest.
    fn groups(&self, pool: &[Entry]) -> Vec<Vec<usize>> {
        let mut groups = vec![Vec::new(); self.quotas.len() + 1];
        for (i, e) in pool.iter().enumerate() {
            let g = self.quotas.iter().position(|q| q.matches(e.category, e.kind)).unwrap_or(self.quotas.len());
            groups[g].push(i);
        }
        groups
    }

    /// Whether the pool can fill every quota and the rest; every shortfall otherwise.
    pub fn check(&self, pool: &[Entry]) -> Result<(), Vec<Shortfall>> {
        let groups = self.groups(pool);
        let needs = self.quotas.iter().map(|q| (Some(*q), q.count)).chain([(None, self.free_count())]);
        let short: Vec<Shortfall> = needs
            .zip(&groups)
            .filter(|((_, needed), group)| group.len() < usize::from(*needed))
            .map(|((quota, needed), group)| Shortfall { quota, needed, available: group.len() })
            .collect();
        if short.is_empty() {
            Ok(())
        } else {
            Err(short)
        }
    }
}

/// Draws a paper: every quota exactly, the rest from outside the quotas, no question twice,
/// questions and (choice) options in a random order. Same pool and seed, same paper.
pub fn draw(blueprint: &Blueprint, pool: &[Entry], seed: [u8; 32]) -> Result<Vec<Item>, Vec<Shortfall>> {
    blueprint.check(pool)?;
    let mut rng = ChaCha20Rng::from_seed(seed);
    let groups = blueprint.groups(pool);
    let counts = blueprint.quotas.iter().map(|q| q.count).chain([blueprint.free_count()]);
    let mut chosen: Vec<usize> = Vec::with_capacity(usize::from(blueprint.question_count));
    for (group, count) in groups.iter().zip(counts) {
        chosen.extend(index::sample(&mut rng, group.len(), usize::from(count)).into_iter().map(|i| group[i]));
    }
    chosen.shuffle(&mut rng);
    Ok(chosen
        .into_iter()
        .map(|pool_index| {
            let e = pool[pool_index];
            let mut option_order: Vec<u8> = (0..e.options).collect();
            if e.kind != QuestionKind::TrueFalse {
                option_order.shuffle(&mut rng);
            }
            Item { pool_index, option_order }
        })
        .collect())
}

/// Maps an answer as the candidate saw the options to the question's own order.
pub fn to_canonical(shown: Choice, option_order: &[u8]) -> Choice {
    let bits = shown
        .positions()
        .filter_map(|p| option_order.get(p))
        .fold(0u8, |acc, canonical| acc | 1u8.checked_shl(u32::from(*canonical)).unwrap_or(0));
    Choice::from_bits(bits)
}

/// Maps a canonical set of options to the letters this candidate sees.
pub fn to_shown(canonical: Choice, option_order: &[u8]) -> Choice {
    let bits = option_order
        .iter()
        .enumerate()
        .filter(|(_, c)| canonical.bits() & 1u8.checked_shl(u32::from(**c)).unwrap_or(0) != 0)
        .fold(0u8, |acc, (shown, _)| acc | (1 << shown));
    Choice::from_bits(bits)
}

/// One question as marked: its key and the candidate's answer, both in canonical order.
#[derive(Debug, Clone, Copy)]
pub struct Marked {
    pub key: Choice,
    pub answer: Option<Choice>,
}

/// A graded paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grade {
    pub correct: u16,
    pub score: u16,
    pub passed: bool,
}

/// Marks a paper: a question scores when the answer equals the key exactly (multiple
/// choice is all or nothing); unanswered questions score nothing.
pub fn grade(blueprint: &Blueprint, items: &[Marked]) -> Grade {
    let correct = items.iter().filter(|m| m.answer == Some(m.key)).count();
    let correct = u16::try_from(correct).unwrap_or(u16::MAX);
    let score = correct.saturating_mul(blueprint.points_per_question).min(TOTAL_POINTS as u16);
    Grade { correct, score, passed: score >= blueprint.pass_mark }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    fn entry(c: usize, k: usize) -> Entry {
        let kind = QuestionKind::ALL[k % 3];
        let options = match kind {
            QuestionKind::TrueFalse => 2,
            _ => 4,
        };
        Entry { category: Category::ALL[c % Category::ALL.len()], kind, options }
    }

    fn pool_strategy() -> impl Strategy<Value = Vec<Entry>> {
        prop::collection::vec((0..4usize, 0..3usize).prop_map(|(c, k)| entry(c, k)), 0..400)
    }

    fn quotas_strategy() -> impl Strategy<Value = Vec<Quota>> {
        // Quotas by kind, by category, or by both; overlapping ones are dropped below.
        prop::collection::vec((prop::option::of(0..4usize), prop::option::of(0..3usize), 1..15u16), 0..5).prop_map(
            |qs| {
                let mut out: Vec<Quota> = Vec::new();
                for (c, k, count) in qs {
                    let q =
                        Quota { category: c.map(|c| Category::ALL[c]), kind: k.map(|k| QuestionKind::ALL[k]), count };
                    if !out.iter().any(|o| o.overlaps(&q)) {
                        out.push(q);
                    }
                }
                out
            },
        )
    }

    fn blueprint(quotas: Vec<Quota>) -> Blueprint {
        Blueprint { question_count: 50, points_per_question: 2, quotas, ..Blueprint::default() }
    }

    proptest! {
        #[test]
        fn every_paper_meets_every_quota_exactly(pool in pool_strategy(), quotas in quotas_strategy(), seed: [u8; 32]) {
            let bp = blueprint(quotas);
            prop_assume!(bp.validate().is_ok());
            match draw(&bp, &pool, seed) {
                Ok(paper) => {
                    prop_assert_eq!(paper.len(), 50);
                    let distinct: HashSet<usize> = paper.iter().map(|i| i.pool_index).collect();
                    prop_assert_eq!(distinct.len(), paper.len());
                    for q in &bp.quotas {
                        let n = paper.iter().filter(|i| q.matches(pool[i.pool_index].category, pool[i.pool_index].kind)).count();
                        prop_assert_eq!(n, usize::from(q.count));
                    }
                    for item in &paper {
                        let e = pool[item.pool_index];
                        let mut order = item.option_order.clone();
                        order.sort_unstable();
                        prop_assert_eq!(order, (0..e.options).collect::<Vec<u8>>());
                    }
                    prop_assert_eq!(draw(&bp, &pool, seed).unwrap(), paper.clone());
                }
                Err(short) => {
                    // Refused only when a group really is too small.
                    prop_assert!(!short.is_empty());
                    prop_assert!(bp.check(&pool).is_err());
                    for s in short {
                        prop_assert!(s.available < usize::from(s.needed));
                    }
                }
            }
        }

        #[test]
        fn different_seeds_give_different_papers(a: [u8; 32], b: [u8; 32]) {
            prop_assume!(a != b);
            let pool: Vec<Entry> = (0..300).map(|i| entry(i, i / 4)).collect();
            let bp = Blueprint::default();
            let pa: Vec<usize> = draw(&bp, &pool, a).unwrap().iter().map(|i| i.pool_index).collect();
            let pb: Vec<usize> = draw(&bp, &pool, b).unwrap().iter().map(|i| i.pool_index).collect();
            prop_assert_ne!(pa, pb);
        }

        #[test]
        fn shown_and_canonical_answers_round_trip(bits in 0u8..16, order in Just(vec![0u8, 1, 2, 3]).prop_shuffle()) {
            let shown = Choice::from_bits(bits);
            prop_assert_eq!(to_shown(to_canonical(shown, &order), &order), shown);
        }
    }

    #[test]
    fn an_unsatisfiable_blueprint_names_the_shortfall() {
        let pool: Vec<Entry> = (0..120).map(|i| entry(0, i)).collect();
        let quota = Quota { category: None, kind: Some(QuestionKind::MultipleChoice), count: 60 };
        let bp = Blueprint { quotas: vec![quota], ..Blueprint::default() };
        let short = draw(&bp, &pool, [7; 32]).unwrap_err();
        assert_eq!(short, [Shortfall { quota: Some(quota), needed: 60, available: 40 }]);
    }

    #[test]
    fn blueprint_rules() {
        assert!(Blueprint::default().validate().is_ok());
        let bad = Blueprint { question_count: 90, ..Blueprint::default() };
        assert_eq!(bad.validate().unwrap_err()[0].field, "blueprint.points_per_question");
        let by_kind = Quota { category: None, kind: Some(QuestionKind::TrueFalse), count: 10 };
        let by_cat = Quota { category: Some(Category::SelfRescue), kind: None, count: 10 };
        let both = Blueprint { quotas: vec![by_kind, by_cat], ..Blueprint::default() };
        assert_eq!(both.validate().unwrap_err()[0].field, "blueprint.quotas");
    }

    #[test]
    fn grading_is_all_or_nothing() {
        let key = Choice::from_bits(0b0101);
        let items = [
            Marked { key, answer: Some(key) },
            Marked { key, answer: Some(Choice::from_bits(0b0001)) },
            Marked { key, answer: None },
        ];
        let bp = Blueprint { question_count: 4, points_per_question: 25, pass_mark: 50, ..Blueprint::default() };
        assert_eq!(grade(&bp, &items), Grade { correct: 1, score: 25, passed: false });
        let all = [Marked { key, answer: Some(key) }; 4];
        assert_eq!(grade(&bp, &all), Grade { correct: 4, score: 100, passed: true });
    }

    #[test]
    fn shown_letters_map_through_the_shuffle() {
        // Shown A is canonical C, shown B is canonical A.
        let order = [2u8, 0, 3, 1];
        assert_eq!(to_canonical(Choice::from_bits(0b0011), &order), Choice::from_bits(0b0101));
    }
}
