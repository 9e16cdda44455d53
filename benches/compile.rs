//! Compile-time benchmarks, one group per pipeline stage and one end to end,
//! over generated programs of 10, 100 and 1,000 namespaces × 10 workloads
//! (`npc-gen`, `benches/gen/`). 10,000 namespaces are measured by `scripts/bench.sh`.
//!
//! ```text
//! cargo bench --bench compile                 # everything, a few minutes
//! cargo bench --bench compile -- layout/1000  # one stage and size
//! NPC_BENCH_SIZES=10,100 cargo bench --bench compile
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The allocator of the `npc` binary (src/main.rs), so that the numbers are
/// the binary's.
#[cfg(any(target_os = "linux", target_os = "macos"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, BenchmarkId, Criterion,
    SamplingMode, Throughput,
};

use npc::load::{self, Input};
use npc::{carveouts, emit, layout, resolve};

use npc_gen as gen;

const WORKLOADS: usize = 10;
const SEED: u64 = 1;

/// Namespace counts to measure (`NPC_BENCH_SIZES=10,100` to narrow).
fn sizes() -> Vec<usize> {
    std::env::var("NPC_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10, 100, 1000])
}

/// The output of every stage for one program, made once.
struct Case {
    namespaces: usize,
    lines: u64,
    input: Input,
    loaded: load::Loaded,
    /// After `resolve`, before carve-outs.
    resolved: npc::ir::Program,
    /// After carve-outs.
    program: npc::ir::Program,
    layout: layout::Layout,
    policies: Vec<k8s_openapi::api::networking::v1::NetworkPolicy>,
}

impl Case {
    fn new(namespaces: usize) -> Case {
        let text = gen::generate(namespaces, WORKLOADS, SEED);
        let lines = text.lines().count() as u64;
        let input = Input::from_str("bench.npl", text);
        let loaded = load::load(vec![input.clone()]);
        assert!(!loaded.syntax_errors);
        let resolution = resolve::resolve(&loaded.statements);
        assert!(!resolution.diagnostics.has_errors());
        let resolved = resolution.program;
        let mut program = resolved.clone();
        carveouts::apply(&mut program);
        let (layout, _) = layout::layout(&program);
        let emitted = emit::emit(layout.clone(), &program.settings, &loaded.sources);
        assert!(!emitted.diagnostics.has_errors());
        let policies = emitted.policies;
        Case {
            namespaces,
            lines,
            input,
            loaded,
            resolved,
            program,
            layout,
            policies,
        }
    }
}

/// Small programs get more samples; the largest gets flat sampling so a run
/// of the whole suite stays within minutes on two cores.
fn group<'a>(c: &'a mut Criterion, name: &str, case: &Case) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(case.lines));
    if case.namespaces >= 1000 {
        g.sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(4));
    } else {
        g.sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
    }
    g
}

fn stages(c: &mut Criterion) {
    for n in sizes() {
        let case = Case::new(n);
        let id = BenchmarkId::from_parameter(n);

        let mut g = group(c, "load", &case);
        g.bench_with_input(id.clone(), &case, |b, case| {
            b.iter_batched(
                || vec![case.input.clone()],
                |inputs| load::load(black_box(inputs)),
                BatchSize::LargeInput,
            )
        });
        g.finish();

        let mut g = group(c, "resolve", &case);
        g.bench_with_input(id.clone(), &case, |b, case| {
            b.iter(|| resolve::resolve(black_box(&case.loaded.statements)))
        });
        g.finish();

        let mut g = group(c, "carveouts", &case);
        g.bench_with_input(id.clone(), &case, |b, case| {
            b.iter_batched(
                || case.resolved.clone(),
                |mut program| {
                    carveouts::apply(&mut program);
                    program
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();

        let mut g = group(c, "layout", &case);
        g.bench_with_input(id.clone(), &case, |b, case| {
            b.iter(|| layout::layout(black_box(&case.program)))
        });
        g.finish();

        let mut g = group(c, "emit", &case);
        g.bench_with_input(id.clone(), &case, |b, case| {
            b.iter_batched(
                || case.layout.clone(),
                |layout| {
                    emit::emit(
                        black_box(layout),
                        &case.program.settings,
                        &case.loaded.sources,
                    )
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();

        let mut g = group(c, "yaml", &case);
        g.bench_with_input(id.clone(), &case, |b, case| {
            b.iter(|| emit::output::to_yaml(black_box(&case.policies)).unwrap())
        });
        g.finish();

        let mut g = group(c, "end_to_end", &case);
        g.bench_with_input(id, &case, |b, case| {
            b.iter_batched(
                || vec![case.input.clone()],
                |inputs| {
                    let c = npc::compile(black_box(inputs));
                    emit::output::to_yaml(&c.policies).unwrap()
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
