//! The stored training generators are exactly the hash-to-curve ones.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use zkdl_circuit::assemble::{generator_vars, stored_generators, training_generators, GENERATORS_LABEL};
use zkdl_circuit::CircuitSpec;
use zkdl_core::pcs::{HyraxGenerators, PrecomputedGenerators};

#[test]
fn stored_generators_are_the_derived_ones() {
    let stored = stored_generators().expect("the stored generators parse");
    assert_eq!(stored.gens.len(), 4096);
    let derived = PrecomputedGenerators::derive(GENERATORS_LABEL, 4096).unwrap();
    assert_eq!(*stored, derived);
    // a circuit within the stored prefix and one beyond it (derived tail)
    for spec in
        [CircuitSpec::mlp("g", 16, &[16], 4, false, 8, 2), CircuitSpec::mlp("g", 8192, &[256], 16, false, 64, 16)]
    {
        let vars = generator_vars(&spec).unwrap();
        assert_eq!(training_generators(&spec).unwrap(), HyraxGenerators::new(GENERATORS_LABEL, vars).unwrap());
    }
}
