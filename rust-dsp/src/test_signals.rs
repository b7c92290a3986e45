//! The shared test-vector signals, synthesised from their JSON recipes exactly as
//! `shared/test_vectors/signals.py` does (sines, squares, clicks, glides, LCG noise).

use serde_json::Value;
use std::f64::consts::PI;

use crate::audio::Audio;

const LCG_MULTIPLIER: u64 = 6364136223846793005;
const LCG_INCREMENT: u64 = 1442695040888963407;

/// Uniform [-1, 1) from the 64-bit LCG, the state advanced before each value.
pub fn lcg_uniform(count: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(LCG_MULTIPLIER)
                .wrapping_add(LCG_INCREMENT);
            (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

fn number(spec: &Value, key: &str) -> f64 {
    spec[key]
        .as_f64()
        .unwrap_or_else(|| panic!("recipe lacks {key}: {spec}"))
}

fn mono(spec: &Value) -> Vec<f64> {
    let rate = number(spec, "rate_hz");
    let length = (number(spec, "seconds") * rate).round_ties_even() as usize;
    let t = |i: usize| i as f64 / rate;
    let amplitude = 10f64.powf(
        spec.get("level_dbfs")
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
            / 20.0,
    );
    match spec["kind"].as_str().expect("recipe kind") {
        "sine" => {
            let f = number(spec, "freq_hz");
            (0..length)
                .map(|i| amplitude * (2.0 * PI * f * t(i)).sin())
                .collect()
        }
        "sines" => {
            let freqs: Vec<f64> = spec["freqs_hz"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_f64().unwrap())
                .collect();
            (0..length)
                .map(|i| {
                    amplitude
                        * freqs
                            .iter()
                            .map(|f| (2.0 * PI * f * t(i)).sin())
                            .sum::<f64>()
                        / freqs.len() as f64
                })
                .collect()
        }
        "square" => {
            let period = (rate / number(spec, "freq_hz")).round_ties_even() as usize;
            (0..length)
                .map(|i| amplitude * if i % period < period / 2 { 1.0 } else { -1.0 })
                .collect()
        }
        "glide" => {
            let (f0, f1, seconds) = (
                number(spec, "start_hz"),
                number(spec, "end_hz"),
                number(spec, "seconds"),
            );
            let k = (f1 / f0).ln() / seconds;
            (0..length)
                .map(|i| amplitude * (2.0 * PI * f0 * ((k * t(i)).exp() - 1.0) / k).sin())
                .collect()
        }
        "clicks" => {
            let mut out = vec![0.0; length];
            let burst: Vec<f64> = (0..(0.005 * rate).round_ties_even() as usize)
                .map(|i| {
                    let s = i as f64 / rate;
                    (2.0 * PI * 2000.0 * s).sin() * (-s / 0.0015).exp()
                })
                .collect();
            let beat_s = 60.0 / number(spec, "bpm");
            let last_s = number(spec, "seconds") - 0.01;
            // np.arange(0.25, last, beat): start + k·step for k < ceil((last − start) / step).
            let beats = ((last_s - 0.25) / beat_s).ceil().max(0.0) as usize;
            for k in 0..beats {
                let start = ((0.25 + k as f64 * beat_s) * rate).round_ties_even() as usize;
                let end = (start + burst.len()).min(length);
                for i in start..end {
                    out[i] += amplitude * burst[i - start];
                }
            }
            out
        }
        "noise" => {
            let seed = spec.get("seed").and_then(Value::as_u64).unwrap_or(1);
            lcg_uniform(length, seed)
                .into_iter()
                .map(|x| amplitude * x)
                .collect()
        }
        "silence" => vec![0.0; length],
        other => panic!("unknown signal kind {other:?}"),
    }
}

/// Channels of a recipe: `parts` concatenated, `add` layers mixed from the start, and
/// `layout` placing the mono signal in the channels.
fn channels_of(spec: &Value) -> Vec<Vec<f64>> {
    let channel_count = spec.get("channels").and_then(Value::as_u64).unwrap_or(1) as usize;
    let layout = spec.get("layout").and_then(Value::as_str).unwrap_or("same");
    let inherit = |part: &Value| {
        let mut part = part.clone();
        part["rate_hz"] = spec["rate_hz"].clone();
        part["channels"] = Value::from(channel_count);
        part["layout"] = Value::from(layout);
        part
    };
    if let Some(parts) = spec.get("parts").and_then(Value::as_array) {
        let mut joined: Vec<Vec<f64>> = vec![Vec::new(); channel_count];
        for part in parts {
            for (c, samples) in channels_of(&inherit(part)).into_iter().enumerate() {
                joined[c].extend(samples);
            }
        }
        for extra in spec
            .get("add")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for (c, layer) in channels_of(&inherit(extra)).into_iter().enumerate() {
                for (x, y) in joined[c].iter_mut().zip(layer) {
                    *x += y;
                }
            }
        }
        return joined;
    }
    let signal = mono(spec);
    if channel_count == 1 {
        return vec![signal];
    }
    let silent = vec![0.0; signal.len()];
    let mut out = vec![silent.clone(); channel_count];
    match layout {
        "same" => out.iter_mut().for_each(|c| c.clone_from(&signal)),
        "left_only" => out[0] = signal,
        "inverted" => {
            out[1] = signal.iter().map(|x| -x).collect();
            out[0] = signal;
        }
        other => panic!("unknown layout {other:?}"),
    }
    out
}

pub fn synthesize(spec: &Value) -> Audio {
    Audio::new(channels_of(spec), number(spec, "rate_hz") as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lcg_matches_the_python_recipe() {
        // shared.test_vectors.signals.lcg_uniform(3, 1)
        let want = [
            -0.15358165825457348,
            0.01881488576744128,
            0.2967187879268611,
        ];
        for (got, want) in lcg_uniform(3, 1).iter().zip(want) {
            assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        }
    }
}
