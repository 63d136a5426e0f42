//! ReLU, proven as zkReLU: the sign bits of `Z'` are the top bit of its range
//! relation (booleanity, and a lookup of the rest), the output is `s ⊙ Z'` and the
//! backward gradient `s ⊙ GA'` (masks over the forward pass's own sign tensor).

use super::{ActivationFn, ActivationTensors};
use crate::proof::{Builder, LayoutError, TensorKind};
use crate::relations::MaskRel;

/// `max(z, 0)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Relu;

impl ActivationFn for Relu {
    fn forward(&self, z: i64) -> i64 {
        z.max(0)
    }

    fn backward(&self, z: i64, g: i64) -> i64 {
        if z >= 0 {
            g
        } else {
            0
        }
    }

    fn forward_f64(&self, z: f64) -> f64 {
        z.max(0.0)
    }

    fn backward_f64(&self, z: f64, g: f64) -> f64 {
        if z > 0.0 {
            g
        } else {
            0.0
        }
    }

    fn needs_sign(&self) -> bool {
        true
    }

    fn layout_forward(
        &self,
        b: &mut Builder,
        layer: usize,
        pre: usize,
        sign: Option<usize>,
    ) -> Result<ActivationTensors, LayoutError> {
        let sign = sign.ok_or(LayoutError::Unsupported("zkReLU without the sign tensor of Z'"))?;
        let out = b.like(TensorKind::Act(layer), pre)?;
        b.set.masks.push(MaskRel { cq: pre, out, planes: sign, plane: 0, rescale: None });
        Ok(ActivationTensors { layer, pre, sign: Some(sign), out, derivative: None })
    }

    fn layout_backward(
        &self,
        b: &mut Builder,
        forward: &ActivationTensors,
        grad_out: usize,
        grad_pre: usize,
    ) -> Result<(), LayoutError> {
        // the FORWARD sign bits: a gradient masked with others is rejected
        let sign = forward.sign.ok_or(LayoutError::Unsupported("zkReLU without the sign tensor of Z'"))?;
        b.set.masks.push(MaskRel { cq: grad_out, out: grad_pre, planes: sign, plane: 0, rescale: None });
        Ok(())
    }
}
