//! Cascaded biquads (second-order sections) as scipy's `sosfilt`: transposed direct form II,
//! zero initial state. A section is `[b0, b1, b2, a0, a1, a2]` with `a0 == 1`. Samples go
//! through every section in one step, so the sections' recursions overlap in the CPU.

pub type Section = [f64; 6];

pub struct Cascade<const N: usize> {
    sections: [Section; N],
    state: [[f64; 2]; N],
}

impl<const N: usize> Cascade<N> {
    pub fn new(sections: &[Section; N]) -> Self {
        Cascade {
            sections: *sections,
            state: [[0.0; 2]; N],
        }
    }

    #[inline(always)]
    pub fn process(&mut self, x: f64) -> f64 {
        let mut value = x;
        for (s, z) in self.sections.iter().zip(self.state.iter_mut()) {
            let y = s[0] * value + z[0];
            z[0] = s[1] * value - s[4] * y + z[1];
            z[1] = s[2] * value - s[5] * y;
            value = y;
        }
        value
    }
}

/// The whole signal through the cascade.
pub fn sosfilt<const N: usize>(sections: &[Section; N], signal: &[f64]) -> Vec<f64> {
    let mut cascade = Cascade::new(sections);
    signal.iter().map(|&x| cascade.process(x)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_pole_pair_matches_its_difference_equation() {
        // y[n] = x[n] + 0.5 y[n-1]: impulse response 0.5^n.
        let section = [1.0, 0.0, 0.0, 1.0, -0.5, 0.0];
        let mut impulse = vec![0.0; 8];
        impulse[0] = 1.0;
        let out = sosfilt(&[section], &impulse);
        for (n, y) in out.iter().enumerate() {
            assert!((y - 0.5_f64.powi(n as i32)).abs() < 1e-15);
        }
    }

    #[test]
    fn sections_cascade() {
        let gain = [2.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        let delay = [0.0, 1.0, 0.0, 1.0, 0.0, 0.0];
        let out = sosfilt(&[gain, delay], &[1.0, 2.0, 3.0]);
        assert_eq!(out, vec![0.0, 2.0, 4.0]);
    }
}
