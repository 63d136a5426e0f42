//! The identity: the output is `Z'` itself, and the gradient at `Z'` the rescaled
//! gradient at the output (a linear relation, checked on the commitments where the
//! shapes allow).

use super::{ActivationFn, ActivationTensors};
use crate::proof::{Builder, LayoutError};
use crate::relations::LinearRel;

/// `z`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Identity;

impl ActivationFn for Identity {
    fn forward(&self, z: i64) -> i64 {
        z
    }

    fn backward(&self, _z: i64, g: i64) -> i64 {
        g
    }

    fn forward_f64(&self, z: f64) -> f64 {
        z
    }

    fn backward_f64(&self, _z: f64, g: f64) -> f64 {
        g
    }

    fn needs_sign(&self) -> bool {
        false
    }

    fn layout_forward(
        &self,
        _b: &mut Builder,
        layer: usize,
        pre: usize,
        _sign: Option<usize>,
    ) -> Result<ActivationTensors, LayoutError> {
        Ok(ActivationTensors { layer, pre, sign: None, out: pre, derivative: None })
    }

    fn layout_backward(
        &self,
        b: &mut Builder,
        _forward: &ActivationTensors,
        grad_out: usize,
        grad_pre: usize,
    ) -> Result<(), LayoutError> {
        b.set.linears.push(LinearRel { terms: vec![(grad_pre, 1), (grad_out, -1)], constant: 0 });
        Ok(())
    }
}
