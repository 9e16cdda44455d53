//! `npc-gen`: prints a synthetic NPL program for benchmarks (see the
//! library documentation for the shapes).
//!
//! ```text
//! cargo run --release -p npc-gen -- --namespaces N --workloads W [--shape mixed|fan-out|cdk8s] [--seed S] [--inventory DIR]
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use npc_gen::{generate_shape, inventory_shape, Shape};

const USAGE: &str = "usage: npc-gen --namespaces N --workloads W [--shape mixed|fan-out|cdk8s] [--seed S] [--inventory DIR]";

fn main() {
    let mut namespaces = 10usize;
    let mut workloads = 10usize;
    let mut seed = 1u64;
    let mut shape = Shape::Mixed;
    let mut inventory_dir: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--inventory" => {
                inventory_dir = Some(
                    args.next()
                        .unwrap_or_else(|| usage("`--inventory` needs a directory")),
                );
                continue;
            }
            "--shape" => {
                let name = args.next().unwrap_or_default();
                shape = Shape::parse(&name)
                    .unwrap_or_else(|| usage(&format!("unknown shape `{name}`")));
                continue;
            }
            _ => {}
        }
        let mut value = || {
            args.next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or_else(|| usage(&format!("`{arg}` needs a number")))
        };
        match arg.as_str() {
            "--namespaces" | "-n" => namespaces = value() as usize,
            "--workloads" | "-w" => workloads = value() as usize,
            "--seed" | "-s" => seed = value(),
            "--help" | "-h" => {
                println!("{USAGE}");
                return;
            }
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    if let Some(dir) = inventory_dir {
        let dir = std::path::Path::new(&dir);
        let (ns, pods) = inventory_shape(shape, namespaces, workloads, seed);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("namespaces.yaml"), ns).unwrap();
        std::fs::write(dir.join("pods.yaml"), pods).unwrap();
    }
    print!("{}", generate_shape(shape, namespaces, workloads, seed));
}

fn usage(problem: &str) -> ! {
    eprintln!("error: {problem}");
    eprintln!("{USAGE}");
    std::process::exit(2)
}
