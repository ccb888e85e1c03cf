//! Criterion benchmarks of whole dialogues, `scenario/happy_path` and `scenario/all`, and of
//! the bare TLS 1.3 handshake, `handshake/tls13`, for reference.
//! Run with `cargo bench -p starttls-sim`. Native only: in the browser, the end-to-end
//! tests time scenarios with `performance.now`.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{Criterion, criterion_group};
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
        // For reference: the TLS 1.3 handshake alone, without SMTP.
        c.bench_function("handshake/tls13", |b| {
            b.iter(|| starttls_sim::demo_handshake().expect("handshake"))
        });
    }

    criterion_group!(benches, scenarios);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
