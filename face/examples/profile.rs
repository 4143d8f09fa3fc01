//! Time per operator of the two optimized models, to see where inference time goes.
//!
//! `cargo run -p face --release --example profile -- MODELS_DIR [RUNS] [HEIGHTxWIDTH]`
//!
//! Runs each model RUNS times (default 20) on a zero input after one warm-up run, the
//! detector at HEIGHTxWIDTH (default 640x640), and prints the time per operator kind and
//! per node, slowest first.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use face::onnx::{self, Runnable};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::plan::{eval, SimpleState};

fn ms(d: Duration, runs: usize) -> f64 {
    d.as_secs_f64() * 1000.0 / runs as f64
}

fn profile(name: &str, model: &Runnable, shape: [usize; 4], runs: usize) -> TractResult<()> {
    let input = Tensor::zero::<f32>(&shape)?;
    let mut per_node: HashMap<usize, Duration> = HashMap::new();
    let mut state = SimpleState::new(model)?;
    let mut total = Duration::ZERO;
    for run in 0..=runs {
        let t = Instant::now();
        state.run_plan_with_eval(tvec!(input.clone().into()), |ctx, op_state, node, inputs| {
            let t = Instant::now();
            let out = eval(ctx, op_state, node, inputs);
            if run > 0 {
                *per_node.entry(node.id).or_default() += t.elapsed();
            }
            out
        })?;
        if run > 0 {
            total += t.elapsed();
        }
    }
    let graph = model.model();
    let mut by_op: HashMap<String, (Duration, usize)> = HashMap::new();
    for (id, d) in &per_node {
        let e = by_op.entry(graph.node(*id).op().name().to_string()).or_default();
        e.0 += *d;
        e.1 += 1;
    }
    let mut ops: Vec<_> = by_op.into_iter().collect();
    ops.sort_by_key(|(_, (d, _))| std::cmp::Reverse(*d));
    println!("{name} {shape:?}: {} nodes, {:.2} ms per run", graph.nodes().len(), ms(total, runs));
    for (op, (d, n)) in ops {
        println!("  {op:<32} {n:>4} nodes {:8.3} ms", ms(d, runs));
    }
    let mut nodes: Vec<_> = per_node.into_iter().collect();
    nodes.sort_by_key(|(_, d)| std::cmp::Reverse(*d));
    for (id, d) in nodes.into_iter().take(25) {
        let shape = graph.node_output_facts(id)?.first().map(|f| format!("{:?}", f.shape)).unwrap_or_default();
        println!("  {:8.3} ms  {} -> {shape}", ms(d, runs), graph.node(id));
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let models = PathBuf::from(args.next().ok_or("models dir")?);
    let runs: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(20);
    let side = face::detect::INPUT;
    let (h, w) = match args.next() {
        Some(hw) => {
            let (h, w) = hw.split_once('x').ok_or("HEIGHTxWIDTH")?;
            (h.parse()?, w.parse()?)
        }
        None => (side, side),
    };
    let detector = onnx::load(&models.join(face::DETECTOR_FILE), [1, 3, h, w], &face::detect::OUTPUTS)?;
    profile("yunet", &detector, [1, 3, h, w], runs)?;
    let size = face::align::SIZE as usize;
    let embedder = onnx::load(&models.join(face::EMBEDDER_FILE), [1, 3, size, size], &[])?;
    profile("sface", &embedder, [1, 3, size, size], runs)?;
    Ok(())
}
