//! Validating a full-size statement (1,159 controls) against every rule.
//! Goal (issue 2): median under 1 ms. Results in docs/benchmarks.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ismap_domain::rules::validate;
use ismap_domain::synthetic::{full_size_catalog, full_size_statement, registry};

fn bench_validate(c: &mut Criterion) {
    let catalog = full_size_catalog();
    let clean = full_size_statement(&catalog);
    let registry = registry();

    // A statement half undecided: the rules' worst case, with many findings.
    let mut draft = clean.clone();
    let keep: Vec<_> = draft.controls.keys().copied().step_by(2).collect();
    draft.controls.retain(|number, _| keep.contains(number));

    c.bench_function(
        "validate full-size statement (1,159 controls, clean)",
        |b| b.iter(|| validate(black_box(&catalog), black_box(&clean), Some(&registry))),
    );
    c.bench_function("validate full-size draft (half undecided)", |b| {
        b.iter(|| validate(black_box(&catalog), black_box(&draft), Some(&registry)))
    });
}

criterion_group!(benches, bench_validate);
criterion_main!(benches);
