//! A 3×3, stride-2, one-pixel-padded depthwise convolution over f32 NCHW, put in place of
//! tract's in the embedder. tract vectorises a depthwise convolution only at stride 1 and
//! runs stride 2 as a scalar loop (SFace's four such layers took a fifth of its time). Here
//! each input row is split once into its even and odd columns, so that every kernel tap
//! reads a contiguous run and the loop vectorises.

use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::cnn::{Conv, KernelFormat, PaddingSpec};
use tract_onnx::tract_core::{args_3, as_op, op_as_typed_op, op_out_of_plan};

/// Inputs: x [N, C, H, W], kernel [C, 1, 3, 3], bias [C]; output [N, C, ⌈H/2⌉, ⌈W/2⌉].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Depthwise3x3S2;

fn out_len(n: usize) -> usize {
    n.div_ceil(2)
}

impl Op for Depthwise3x3S2 {
    fn name(&self) -> StaticName {
        "SandaDepthwise3x3S2".into()
    }

    op_as_typed_op!();
}

impl EvalOp for Depthwise3x3S2 {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (x, kernel, bias) = args_3!(inputs);
        let &[n, c, h, w] = x.shape() else { bail!("depthwise on {:?}", x.shape()) };
        ensure!(x.strides() == &*Tensor::natural_strides(x.shape()), "depthwise on a strided tensor");
        let (x, kernel, bias) = (x.try_as_plain_ram()?, kernel.try_as_plain_ram()?, bias.try_as_plain_ram()?);
        let (x, kernel, bias) = (x.as_slice::<f32>()?, kernel.as_slice::<f32>()?, bias.as_slice::<f32>()?);
        ensure!(kernel.len() == 9 * c && (bias.len() == c || bias.len() == 1), "depthwise weights");
        let (oh, ow) = (out_len(h), out_len(w));
        let mut out = vec![0f32; n * c * oh * ow];
        // Columns 0, 2, 4, … and, shifted by one, a zero then columns 1, 3, 5, …: output
        // column j reads odd[j], even[j] and odd[j + 1] (input columns 2j − 1, 2j, 2j + 1).
        let (mut even, mut odd) = (vec![0f32; ow], vec![0f32; ow + 1]);
        for (p, (plane, dst)) in x.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)).enumerate() {
            let ch = p % c;
            let k = &kernel[9 * ch..9 * ch + 9];
            dst.fill(bias[if bias.len() == 1 { 0 } else { ch }]);
            for (oy, acc) in dst.chunks_exact_mut(ow).enumerate() {
                for ky in 0..3 {
                    let Some(iy) = (2 * oy + ky).checked_sub(1).filter(|iy| *iy < h) else { continue };
                    let row = &plane[iy * w..][..w];
                    for (pair, (e, o)) in row.chunks_exact(2).zip(even.iter_mut().zip(&mut odd[1..])) {
                        (*e, *o) = (pair[0], pair[1]);
                    }
                    if w % 2 == 1 {
                        even[ow - 1] = row[w - 1];
                    }
                    let (k0, k1, k2) = (k[3 * ky], k[3 * ky + 1], k[3 * ky + 2]);
                    let iter = acc.iter_mut().zip(&even).zip(odd[..ow].iter().zip(&odd[1..]));
                    for ((a, e), (o0, o1)) in iter {
                        *a += k0 * o0 + k1 * e + k2 * o1;
                    }
                }
            }
        }
        Ok(tvec!(Tensor::from_shape(&[n, c, oh, ow], &out)?.into_tvalue()))
    }
}

impl TypedOp for Depthwise3x3S2 {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let x = inputs.first().context("no input")?;
        let shape = x.shape.as_concrete().context("depthwise needs a concrete shape")?;
        let &[n, c, h, w] = shape else { bail!("depthwise on {shape:?}") };
        Ok(tvec!(f32::fact([n, c, out_len(h), out_len(w)])))
    }

    as_op!();
}

/// Puts [`Depthwise3x3S2`] in place of every matching f32 convolution of the model (NCHW,
/// one group per channel, 3×3 kernel, stride 2, one pixel of padding on every side, constant
/// kernel and bias); returns how many.
pub fn replace_strided_depthwise(model: &mut TypedModel) -> TractResult<usize> {
    let mut count = 0;
    for id in 0..model.nodes().len() {
        let node = model.node(id);
        let Some(conv) = node.op_as::<Conv>() else { continue };
        let spec = &conv.pool_spec;
        let padded = match &spec.padding {
            PaddingSpec::Explicit(before, after) | PaddingSpec::ExplicitOnnxPool(before, after, false) => {
                before[..] == [1, 1] && after[..] == [1, 1]
            }
            _ => false,
        };
        let x = model.outlet_fact(node.inputs[0])?;
        let weights_const = node.inputs[1..].iter().all(|i| model.outlet_fact(*i).is_ok_and(|f| f.konst.is_some()));
        let matches = conv.q_params.is_none()
            && conv.kernel_fmt == KernelFormat::OIHW
            && spec.data_format == tract_onnx::tract_core::ops::nn::DataFormat::NCHW
            && x.datum_type == f32::datum_type()
            && x.rank() == 4
            && conv.group == spec.input_channels
            && spec.output_channels == spec.input_channels
            && spec.kernel_shape[..] == [3, 3]
            && spec.strides.as_deref() == Some(&[2, 2])
            && spec.dilations.as_deref().is_none_or(|d| d.iter().all(|d| *d == 1))
            && padded
            && node.inputs.len() == 3
            && weights_const;
        if matches {
            model.node_mut(id).op = Box::new(Depthwise3x3S2);
            count += 1;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_direct_convolution() -> TractResult<()> {
        check(2, 5, 6)?;
        check(2, 6, 7)
    }

    fn check(c: usize, h: usize, w: usize) -> TractResult<()> {
        let x: Vec<f32> = (0..c * h * w).map(|i| ((i * 37) % 11) as f32 - 5.0).collect();
        let k: Vec<f32> = (0..9 * c).map(|i| ((i * 5) % 7) as f32 * 0.5 - 1.0).collect();
        let b = [0.25f32, -1.0];
        let inputs = tvec!(
            Tensor::from_shape(&[1, c, h, w], &x)?.into_tvalue(),
            Tensor::from_shape(&[c, 1, 3, 3], &k)?.into_tvalue(),
            Tensor::from_shape(&[c], &b)?.into_tvalue()
        );
        let out = Depthwise3x3S2.eval(&EvalContext::out_of_plan(), inputs)?.remove(0);
        let (oh, ow) = (h.div_ceil(2), w.div_ceil(2));
        assert_eq!(out.shape(), &[1, c, oh, ow]);
        let got = out.try_as_plain_ram()?.as_slice::<f32>()?.to_vec();
        for ch in 0..c {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut want = b[ch];
                    for ky in 0..3 {
                        for kx in 0..3 {
                            let (iy, ix) = ((2 * oy + ky) as isize - 1, (2 * ox + kx) as isize - 1);
                            if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                                want += k[ch * 9 + ky * 3 + kx] * x[ch * h * w + iy as usize * w + ix as usize];
                            }
                        }
                    }
                    let v = got[(ch * oh + oy) * ow + ox];
                    assert!((v - want).abs() < 1e-4, "{ch} {oy} {ox}: {v} {want}");
                }
            }
        }
        Ok(())
    }
}
