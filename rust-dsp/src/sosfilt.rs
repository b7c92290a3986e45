//! Cascaded biquads (second-order sections), as scipy's `sosfilt`: transposed direct form II,
//! zero initial state. A section is `[b0, b1, b2, a0, a1, a2]` with `a0 == 1`.

pub type Section = [f64; 6];

pub fn sosfilt(sections: &[Section], signal: &[f64]) -> Vec<f64> {
    let mut out = signal.to_vec();
    for s in sections {
        let (b0, b1, b2, a1, a2) = (s[0], s[1], s[2], s[4], s[5]);
        let (mut z1, mut z2) = (0.0_f64, 0.0_f64);
        for x in out.iter_mut() {
            let input = *x;
            let y = b0 * input + z1;
            z1 = b1 * input - a1 * y + z2;
            z2 = b2 * input - a2 * y;
            *x = y;
        }
    }
    out
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
