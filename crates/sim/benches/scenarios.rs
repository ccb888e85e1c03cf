//! Criterion benchmarks of whole dialogues: `scenario/happy_path` and `scenario/all`.
//! Run with `cargo bench -p starttls-sim`.

use criterion::{Criterion, criterion_group, criterion_main};
use starttls_sim::{Engine, scenario};

fn scenarios(c: &mut Criterion) {
    let happy = scenario::find("happy-path").expect("happy path scenario");
    let all = scenario::catalogue().expect("catalogue");
    let mut group = c.benchmark_group("scenario");
    group.bench_function("happy_path", |b| {
        b.iter(|| Engine::simulate(std::hint::black_box(&happy)).expect("simulate"))
    });
    group.bench_function("all", |b| {
        b.iter(|| {
            for s in &all {
                Engine::simulate(std::hint::black_box(s)).expect("simulate");
            }
        })
    });
    group.finish();
}

criterion_group!(benches, scenarios);
criterion_main!(benches);
