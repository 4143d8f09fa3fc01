//! How long drawing a paper takes: 100 questions from a 10,000-question bank with quotas.
//!
//!     cargo run -p exam --release --example draw_bench [ROUNDS]
//!
//! Prints the median, p99 and maximum of one draw (quota check, sampling, shuffling
//! questions and options), and the same without quotas.

#![expect(clippy::expect_used, reason = "a benchmark stops where it cannot continue")]

use std::time::Instant;

use exam::bank::{Category, QuestionKind};
use exam::paper::{draw, Blueprint, Entry, Quota};
use rand::RngCore;

fn pool(n: usize) -> Vec<Entry> {
    (0..n)
        .map(|i| {
            let kind = QuestionKind::ALL[i % 3];
            let options = if kind == QuestionKind::TrueFalse { 2 } else { 4 };
            Entry { category: Category::ALL[i / 3 % Category::ALL.len()], kind, options }
        })
        .collect()
}

fn measure(label: &str, blueprint: &Blueprint, pool: &[Entry], rounds: usize) {
    let mut times = Vec::with_capacity(rounds);
    let mut seed = [0u8; 32];
    for _ in 0..rounds {
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let t = Instant::now();
        let paper = draw(blueprint, pool, seed).expect("satisfiable");
        times.push(t.elapsed().as_secs_f64() * 1e6);
        assert_eq!(paper.len(), usize::from(blueprint.question_count));
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{label}: median {:.1} µs, p99 {:.1} µs, max {:.1} µs over {rounds} draws",
        at(0.5),
        at(0.99),
        times[times.len() - 1]
    );
}

fn main() {
    let rounds = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let bank = pool(10_000);
    // The usual paper: 60 single, 20 multiple, 20 true/false.
    let by_kind = [(QuestionKind::SingleChoice, 60), (QuestionKind::MultipleChoice, 20), (QuestionKind::TrueFalse, 20)];
    let quotas = by_kind.iter().map(|(k, count)| Quota { category: None, kind: Some(*k), count: *count }).collect();
    let kinds = Blueprint { quotas, ..Blueprint::default() };
    kinds.validate().expect("a valid blueprint");
    measure("10,000-question bank, 100 questions, 3 quotas by kind", &kinds, &bank, rounds);
    // Quotas by category and kind, the rest of the paper from everything else.
    let q = |c, k, count| Quota { category: Some(c), kind: Some(k), count };
    let quotas = vec![
        q(Category::WorkSafetyLaw, QuestionKind::SingleChoice, 15),
        q(Category::WorkSafetyLaw, QuestionKind::MultipleChoice, 5),
        q(Category::SelfRescue, QuestionKind::SingleChoice, 5),
        q(Category::SelfRescue, QuestionKind::TrueFalse, 5),
        q(Category::AccidentReporting, QuestionKind::TrueFalse, 5),
    ];
    let mixed = Blueprint { quotas, ..Blueprint::default() };
    mixed.validate().expect("a valid blueprint");
    measure("10,000-question bank, 100 questions, 5 category×kind quotas", &mixed, &bank, rounds);
    measure("10,000-question bank, 100 questions, no quota", &Blueprint::default(), &bank, rounds);
}
