//! Every shared test vector (`shared/test_vectors/vectors.json`) against the Rust crate, with
//! the tolerances the Python implementation is held to.

use auralis_dsp::fingerprint::{compute_fingerprint, index_of};
use auralis_dsp::test_signals::synthesize;
use serde_json::Value;

#[test]
fn every_vector_meets_every_expectation() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/test_vectors/vectors.json"
    );
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("vectors.json")).unwrap();
    let vectors = document["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 30, "only {} vectors", vectors.len());
    let mut failures = Vec::new();
    let mut checked = 0;
    for vector in vectors {
        let name = vector["name"].as_str().unwrap();
        let values = compute_fingerprint(&synthesize(&vector["signal"])).expect(name);
        for (dimension, rule) in vector["expect"].as_object().unwrap() {
            let got = values
                [index_of(dimension).unwrap_or_else(|| panic!("unknown dimension {dimension}"))];
            checked += 1;
            if let (Some(value), Some(tolerance)) =
                (rule["value"].as_f64(), rule["tolerance"].as_f64())
            {
                if (got - value).abs() > tolerance {
                    failures.push(format!(
                        "{name}: {dimension}={got:.5}, want {value:.5}±{tolerance}"
                    ));
                }
            }
            if let Some(min) = rule["min"].as_f64() {
                if got < min {
                    failures.push(format!("{name}: {dimension}={got:.5}, want ≥ {min}"));
                }
            }
            if let Some(max) = rule["max"].as_f64() {
                if got > max {
                    failures.push(format!("{name}: {dimension}={got:.5}, want ≤ {max}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} expectations failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
