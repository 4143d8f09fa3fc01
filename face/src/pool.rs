//! A 2×2, stride-2 max pool over f32 planes, put in place of tract's own in the detector.
//! tract runs such a pool one output element at a time through its generic window walk
//! (only the stride-1 case is vectorised): YuNet's four pools took a quarter of its time.
//! This one reads two input rows at a time and is several times faster; a maximum is
//! exact, so the output is the same.

use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::cnn::{MaxPool, PaddingSpec};
use tract_onnx::tract_core::{args_1, as_op, op_as_typed_op, op_out_of_plan};

/// Max over each 2×2 block of the last two axes (channels first, any leading axes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MaxPool2x2;

impl Op for MaxPool2x2 {
    fn name(&self) -> StaticName {
        "SandaMaxPool2x2".into()
    }

    op_as_typed_op!();
}

impl EvalOp for MaxPool2x2 {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let shape = input.shape();
        let rank = shape.len();
        ensure!(rank >= 2, "max pool on {shape:?}");
        let (h, w) = (shape[rank - 2], shape[rank - 1]);
        let (oh, ow) = (h / 2, w / 2);
        let mut out_shape = shape.to_vec();
        out_shape[rank - 2] = oh;
        out_shape[rank - 1] = ow;
        let planes: usize = shape[..rank - 2].iter().product();
        ensure!(input.strides() == &*Tensor::natural_strides(shape), "max pool on a strided tensor");
        let plain = input.try_as_plain_ram()?;
        let src = plain.as_slice::<f32>()?;
        let mut out = vec![0f32; planes * oh * ow];
        if oh > 0 && ow > 0 {
            for (plane, dst) in src.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)) {
                for (oy, row) in dst.chunks_exact_mut(ow).enumerate() {
                    let top = &plane[2 * oy * w..][..2 * ow];
                    let bottom = &plane[(2 * oy + 1) * w..][..2 * ow];
                    for ((o, a), b) in row.iter_mut().zip(top.chunks_exact(2)).zip(bottom.chunks_exact(2)) {
                        *o = a[0].max(a[1]).max(b[0].max(b[1]));
                    }
                }
            }
        }
        Ok(tvec!(Tensor::from_shape(&out_shape, &out)?.into_tvalue()))
    }
}

impl TypedOp for MaxPool2x2 {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let input = inputs.first().context("no input")?;
        let mut shape: TVec<TDim> = input.shape.to_tvec();
        let rank = shape.len();
        ensure!(rank >= 2 && input.datum_type == f32::datum_type());
        for d in &mut shape[rank - 2..] {
            *d = d.clone() / 2;
        }
        Ok(tvec!(f32::fact(shape)))
    }

    as_op!();
}

/// Puts [`MaxPool2x2`] in place of every f32, channels-first, unpadded 2×2 stride-2 max
/// pool of the model; returns how many.
pub fn replace_max_pools(model: &mut TypedModel) -> TractResult<usize> {
    let mut count = 0;
    for id in 0..model.nodes().len() {
        let Some(pool) = model.node(id).op_as::<MaxPool>() else { continue };
        let spec = &pool.pool_spec;
        let unpadded = match &spec.padding {
            PaddingSpec::Valid => true,
            PaddingSpec::Explicit(before, after) | PaddingSpec::ExplicitOnnxPool(before, after, false) => {
                before.iter().chain(after).all(|p| *p == 0)
            }
            _ => false,
        };
        let plain = pool.with_index_outputs.is_none()
            && !spec.data_format.c_is_last()
            && spec.kernel_shape[..] == [2, 2]
            && spec.strides.as_deref() == Some(&[2, 2])
            && spec.dilations.as_deref().is_none_or(|d| d.iter().all(|d| *d == 1))
            && unpadded
            && model.outlet_fact(model.node(id).inputs[0])?.datum_type == f32::datum_type();
        if plain {
            model.node_mut(id).op = Box::new(MaxPool2x2);
            count += 1;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_output_is_the_max_of_its_block() -> TractResult<()> {
        let (h, w) = (4, 6);
        let values: Vec<f32> = (0..2 * h * w).map(|i| ((i * 7919) % 23) as f32 - 11.0).collect();
        let input = Tensor::from_shape(&[1, 2, h, w], &values)?;
        let out = MaxPool2x2.eval(&EvalContext::out_of_plan(), tvec!(input.into_tvalue()))?.remove(0);
        assert_eq!(out.shape(), &[1, 2, 2, 3]);
        let got = out.try_as_plain_ram()?.as_slice::<f32>()?.to_vec();
        for (i, v) in got.iter().enumerate() {
            let (c, oy, ox) = (i / 6, i / 3 % 2, i % 3);
            let at = |y: usize, x: usize| values[c * h * w + y * w + x];
            let want = at(2 * oy, 2 * ox)
                .max(at(2 * oy, 2 * ox + 1))
                .max(at(2 * oy + 1, 2 * ox))
                .max(at(2 * oy + 1, 2 * ox + 1));
            assert_eq!(*v, want, "{i}");
        }
        Ok(())
    }
}
