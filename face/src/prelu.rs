//! `PRelu` with one slope per channel, as a single in-place pass. tract expands `PRelu`
//! into a multiplication, a comparison and a select over the whole tensor, which ran as
//! generic, unvectorised loops: SFace's 27 PRelus took over half its time. This op keeps
//! each value above zero and multiplies the others by their channel's slope, in one pass
//! over the tensor, with the same result.

use tract_onnx::model::{Onnx, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_core::{args_2, as_op, op_as_typed_op, op_out_of_plan};
use tract_onnx::tract_hir::internal::*;

/// The ONNX `PRelu` node: wires [`ChannelPrelu`] with the slope broadcast to x's rank.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct PreluExpansion;

impl Expansion for PreluExpansion {
    fn name(&self) -> StaticName {
        "Prelu".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2)?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, &outputs[0].datum_type)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)?;
        Ok(())
    }

    fn wire(&self, name: &str, model: &mut TypedModel, inputs: &[OutletId]) -> TractResult<TVec<OutletId>> {
        let (x, mut slope) = (inputs[0], inputs[1]);
        let rank = model.outlet_fact(x)?.rank();
        while model.outlet_fact(slope)?.rank() < rank {
            let name = format!("{name}.add-axis-{}", model.outlet_fact(slope)?.rank());
            slope = model.wire_node(name, AxisOp::Add(0), &[slope])?[0];
        }
        model.wire_node(name, ChannelPrelu, &[x, slope])
    }
}

/// y = x where x > 0, else slope[c] · x, for f32 x with channels on axis 1 and a slope of
/// one value per channel (or one for all).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelPrelu;

impl Op for ChannelPrelu {
    fn name(&self) -> StaticName {
        "SandaChannelPrelu".into()
    }

    op_as_typed_op!();
}

impl EvalOp for ChannelPrelu {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (x, slope) = args_2!(inputs);
        let shape = x.shape().to_vec();
        ensure!(x.strides() == &*Tensor::natural_strides(&shape), "PRelu on a strided tensor");
        let channels = shape.get(1).copied().unwrap_or(1);
        let slope_plain = slope.try_as_plain_ram()?;
        let slopes = slope_plain.as_slice::<f32>()?;
        ensure!(slopes.len() == channels || slopes.len() == 1, "PRelu slope {:?} for {shape:?}", slope.shape());
        let plane: usize = shape.iter().skip(2).product();
        // The input is usually this op's alone, so this takes it without a copy.
        let mut y = x.into_tensor();
        let mut plain = y.try_as_plain_ram_mut()?;
        let values = plain.as_slice_mut::<f32>()?;
        if plane > 0 {
            for (i, chunk) in values.chunks_exact_mut(plane).enumerate() {
                let a = slopes[if slopes.len() == 1 { 0 } else { i % channels }];
                for v in chunk {
                    *v = if *v > 0.0 { *v } else { *v * a };
                }
            }
        }
        Ok(tvec!(y.into_tvalue()))
    }
}

impl TypedOp for ChannelPrelu {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let x = inputs.first().context("no input")?;
        ensure!(x.datum_type == f32::datum_type(), "PRelu on {:?}", x.datum_type);
        Ok(tvec!(f32::fact(x.shape.clone())))
    }

    as_op!();
}

fn prelu(_ctx: &ParsingContext, _node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    Ok((expand(PreluExpansion), vec![]))
}

/// Makes `onnx` load `PRelu` nodes as [`ChannelPrelu`].
pub fn register(onnx: &mut Onnx) {
    onnx.op_register.insert("PRelu", prelu);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negatives_are_scaled_by_their_channel_slope() -> TractResult<()> {
        let x = Tensor::from_shape(&[1, 2, 1, 3], &[-2.0f32, 0.0, 3.0, -4.0, 5.0, -0.5])?;
        let slope = Tensor::from_shape(&[1, 2, 1, 1], &[0.25f32, -1.5])?;
        let out = ChannelPrelu.eval(&EvalContext::out_of_plan(), tvec!(x.into_tvalue(), slope.into_tvalue()))?;
        let got = out[0].try_as_plain_ram()?.as_slice::<f32>()?.to_vec();
        assert_eq!(got, [-0.5, 0.0, 3.0, 6.0, 5.0, 0.75]);
        Ok(())
    }
}
