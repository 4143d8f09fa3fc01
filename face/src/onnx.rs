//! Loading the ONNX models with tract. The `*_int8bq` files use opset-21 blocked
//! `DequantizeLinear`, which tract refuses; every such node whose inputs are constants is
//! replaced here, at load time, by the f32 constant it computes: (q − zero_point) · scale,
//! with scale and zero point repeated `block_size` times along `axis`. Graph inputs no node
//! uses are dropped too (the SFace file declares its weights as inputs). Each model is then
//! optimized for one fixed input shape, with `PRelu`, 2×2 max pools and stride-2 depthwise
//! convolutions run by ops of our own (`prelu`, `pool`, `depthwise`).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::{tensor_proto::DataType, AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto};
use tract_onnx::prelude::*;

use crate::FaceError;

/// A model ready to run on one fixed input shape.
pub type Runnable = std::sync::Arc<TypedRunnableModel>;

/// A float output as a flat vector.
pub fn floats(t: &Tensor) -> Result<Vec<f32>, FaceError> {
    Ok(t.to_plain_array_view::<f32>().map_err(FaceError::Inference)?.iter().copied().collect())
}

fn model_error(file: &Path, problem: impl std::fmt::Display) -> FaceError {
    FaceError::Model { file: file.display().to_string(), problem: problem.to_string() }
}

/// The values of an integer initializer (int8, uint8 or int32), as i32.
fn int_values(t: &TensorProto) -> Option<Vec<i32>> {
    match DataType::try_from(t.data_type).ok()? {
        DataType::Int8 if !t.raw_data.is_empty() => Some(t.raw_data.iter().map(|b| i32::from(*b as i8)).collect()),
        DataType::Uint8 if !t.raw_data.is_empty() => Some(t.raw_data.iter().map(|b| i32::from(*b)).collect()),
        DataType::Int8 | DataType::Uint8 | DataType::Int32 if !t.int32_data.is_empty() => Some(t.int32_data.clone()),
        DataType::Int32 => {
            Some(t.raw_data.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
        }
        _ => None,
    }
}

/// The values of a float initializer.
fn float_values(t: &TensorProto) -> Option<Vec<f32>> {
    if DataType::try_from(t.data_type).ok()? != DataType::Float {
        return None;
    }
    if !t.float_data.is_empty() {
        return Some(t.float_data.clone());
    }
    Some(t.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

fn attr_i(node: &NodeProto, name: &str, default: i64) -> i64 {
    node.attribute.iter().find(|a| a.name == name).map_or(default, |a| a.i)
}

/// Computes a constant `DequantizeLinear` (per-tensor, per-axis or blocked) as f32.
fn dequantize(node: &NodeProto, inits: &HashMap<String, &TensorProto>) -> Option<TensorProto> {
    let x = inits.get(node.input.first()?)?;
    let scale = inits.get(node.input.get(1)?)?;
    let q = int_values(x)?;
    let s = float_values(scale)?;
    let zp = match node.input.get(2).filter(|n| !n.is_empty()) {
        Some(name) => int_values(inits.get(name)?)?,
        None => vec![0; s.len()],
    };
    if zp.len() != s.len() || q.is_empty() {
        return None;
    }
    let dims: Vec<usize> = x.dims.iter().map(|d| usize::try_from(*d).ok()).collect::<Option<_>>()?;
    let rank = dims.len() as i64;
    let axis = usize::try_from(match attr_i(node, "axis", 1) {
        a if a < 0 => a + rank,
        a => a,
    })
    .ok()?;
    let block = usize::try_from(attr_i(node, "block_size", 0)).ok()?;
    // Row-major strides of x, and of the scale tensor (x's shape, the axis shrunk by blocks).
    let mut scale_dims = dims.clone();
    if s.len() > 1 {
        let axis_len = *dims.get(axis)?;
        scale_dims[axis] = if block > 0 { axis_len.div_ceil(block) } else { axis_len };
    }
    let strides = |d: &[usize]| -> Vec<usize> {
        let mut st = vec![1; d.len()];
        for i in (0..d.len().saturating_sub(1)).rev() {
            st[i] = st[i + 1] * d[i + 1];
        }
        st
    };
    let (x_strides, s_strides) = (strides(&dims), strides(&scale_dims));
    let mut out = Vec::with_capacity(q.len() * 4);
    for (flat, qv) in q.iter().enumerate() {
        let j = if s.len() == 1 {
            0
        } else if block == 0 && scale.dims.len() <= 1 {
            flat / x_strides[axis] % dims[axis]
        } else {
            let mut j = 0;
            for d in 0..dims.len() {
                let mut i = flat / x_strides[d] % dims[d];
                if d == axis && block > 0 {
                    i /= block;
                }
                j += i * s_strides[d];
            }
            j
        };
        let v = (*qv - zp.get(j)?) as f32 * s.get(j)?;
        out.extend_from_slice(&v.to_le_bytes());
    }
    Some(TensorProto {
        name: node.output.first()?.clone(),
        dims: x.dims.clone(),
        data_type: DataType::Float as i32,
        raw_data: out,
        ..Default::default()
    })
}

/// Rewrites constant `DequantizeLinear` nodes into f32 initializers and drops unused
/// graph inputs and initializers. Returns how many nodes were rewritten.
pub fn dequantize_constants(graph: &mut GraphProto) -> usize {
    let mut folded = Vec::new();
    {
        let inits: HashMap<String, &TensorProto> = graph.initializer.iter().map(|t| (t.name.clone(), t)).collect();
        for (i, node) in graph.node.iter().enumerate() {
            if node.op_type == "DequantizeLinear" {
                if let Some(t) = dequantize(node, &inits) {
                    folded.push((i, t));
                }
            }
        }
    }
    let count = folded.len();
    let remove: HashSet<usize> = folded.iter().map(|(i, _)| *i).collect();
    let mut index = 0;
    graph.node.retain(|_| {
        let keep = !remove.contains(&index);
        index += 1;
        keep
    });
    graph.initializer.extend(folded.into_iter().map(|(_, t)| t));
    let used: HashSet<String> = graph
        .node
        .iter()
        .flat_map(|n| n.input.iter().cloned())
        .chain(graph.output.iter().map(|o| o.name.clone()))
        .collect();
    graph.initializer.retain(|t| used.contains(&t.name));
    graph.input.retain(|i| used.contains(&i.name));
    count
}

/// Rewrites a 2-D NCHW network to run on images with height and width swapped: each
/// `Conv` gets its kernel transposed, and each `Conv` and `MaxPool` its per-axis attributes
/// swapped. Its outputs are then the transposed outputs of the original network on the
/// image. Refuses ops whose meaning depends on which spatial axis is which and that this
/// does not rewrite; element-wise ops, `Transpose` to NHWC, `Reshape` and a `Resize` that
/// scales both axes alike need nothing.
pub fn transpose_spatial(graph: &mut GraphProto) -> Result<(), String> {
    let mut nodes = Vec::with_capacity(graph.node.len() * 2);
    for mut node in std::mem::take(&mut graph.node) {
        match node.op_type.as_str() {
            "Conv" | "MaxPool" => {}
            "Relu" | "Sigmoid" | "Add" | "Max" | "Min" | "Mul" | "Reshape" | "Transpose" | "Resize" => {
                nodes.push(node);
                continue;
            }
            other => return Err(format!("cannot transpose {other} ({})", node.name)),
        }
        for attr in &mut node.attribute {
            match (attr.name.as_str(), attr.ints.len()) {
                ("kernel_shape" | "strides" | "dilations", 2) => attr.ints.swap(0, 1),
                // [top, left, bottom, right]
                ("pads", 4) => {
                    attr.ints.swap(0, 1);
                    attr.ints.swap(2, 3);
                }
                ("kernel_shape" | "strides" | "dilations" | "pads", _) | ("auto_pad", _) => {
                    return Err(format!("cannot transpose {} ({}): {}", node.op_type, node.name, attr.name));
                }
                _ => {}
            }
        }
        if node.op_type == "Conv" {
            let Some(weights) = node.input.get_mut(1) else {
                return Err(format!("{} has no weights", node.name));
            };
            let transposed = format!("{weights}.transposed");
            nodes.push(NodeProto {
                name: transposed.clone(),
                op_type: "Transpose".into(),
                input: vec![weights.clone()],
                output: vec![transposed.clone()],
                attribute: vec![AttributeProto {
                    name: "perm".into(),
                    r#type: AttributeType::Ints as i32,
                    ints: vec![0, 1, 3, 2],
                    ..Default::default()
                }],
                ..Default::default()
            });
            *weights = transposed;
        }
        nodes.push(node);
    }
    graph.node = nodes;
    Ok(())
}

/// Reads a model file and rewrites it into a graph tract can load: quantized constants
/// folded, and the shapes recorded for the file's own input size dropped (they would
/// contradict another input size).
pub fn prepare(path: &Path) -> Result<ModelProto, FaceError> {
    let mut proto: ModelProto = tract_onnx::onnx().proto_model_for_path(path).map_err(|e| model_error(path, e))?;
    let graph = proto.graph.as_mut().ok_or_else(|| model_error(path, "no graph"))?;
    dequantize_constants(graph);
    graph.value_info.clear();
    for output in &mut graph.output {
        output.r#type = None;
    }
    Ok(proto)
}

/// Optimizes a prepared model for one fixed input shape, keeping the named outputs (all
/// when `outputs` is empty).
pub fn optimize(
    path: &Path,
    proto: &ModelProto,
    input_shape: [usize; 4],
    outputs: &[&str],
) -> Result<Runnable, FaceError> {
    let mut onnx = tract_onnx::onnx();
    crate::prelu::register(&mut onnx);
    let mut model = onnx.model_for_proto_model(proto).map_err(|e| model_error(path, format!("{e:?}")))?;
    model = model.with_input_fact(0, f32::fact(input_shape).into()).map_err(|e| model_error(path, e))?;
    if !outputs.is_empty() {
        let outlets = outputs
            .iter()
            .map(|name| {
                model.find_outlet_label(name).ok_or_else(|| model_error(path, format!("no output named {name}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        model.select_output_outlets(&outlets).map_err(|e| model_error(path, e))?;
    }
    let optimized = model
        .into_typed()
        .and_then(|m| m.into_decluttered())
        .and_then(natural_constants)
        .and_then(|mut m| crate::pool::replace_max_pools(&mut m).map(|_| m))
        .and_then(|mut m| crate::depthwise::replace_strided_depthwise(&mut m).map(|_| m))
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable());
    optimized.map_err(|e| model_error(path, format!("{e:?}")))
}

/// Loads a model file for one fixed input shape: [`prepare`], then [`optimize`].
pub fn load(path: &Path, input_shape: [usize; 4], outputs: &[&str]) -> Result<Runnable, FaceError> {
    optimize(path, &prepare(path)?, input_shape, outputs)
}

/// Gives every constant tensor natural (row-major) strides. tract's element-wise ops take
/// their vectorised path only when both operands have natural strides, and a constant that
/// gained a unit axis (SFace's PRelu slopes, [C,1,1] broadcast to [1,C,1,1]) keeps odd
/// strides on it, which sent every multiplication by a slope to a slow generic loop.
fn natural_constants(mut model: TypedModel) -> TractResult<TypedModel> {
    use tract_onnx::tract_core::ops::konst::Const;
    for node in model.nodes_mut() {
        let Some(konst) = node.op_as::<Const>() else { continue };
        let t = konst.val();
        if konst.exotic_fact().is_some() || t.strides() == &*Tensor::natural_strides(t.shape()) {
            continue;
        }
        // Reshaping to its own shape recomputes the strides; the data is already in order.
        let shape = t.shape().to_vec();
        let natural = Arc::new((**t).clone().into_shape(&shape)?);
        node.op = Box::new(Const::new(natural.clone())?);
        if let Some(output) = node.outputs.first_mut() {
            output.fact.konst = Some(natural);
        }
    }
    Ok(model)
}
