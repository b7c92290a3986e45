//! Sliding median over an odd window with numpy's "symmetric" edges (scipy.ndimage's
//! "reflect"), by keeping the window sorted: one binary search and one short move per step
//! instead of a selection over the whole window.

use crate::edges::reflect;

/// A float's bits as an integer in the same order (negatives flipped), so the window is
/// kept sorted with integer compares.
fn order_key(x: f32) -> u32 {
    let bits = x.to_bits();
    if bits >> 31 == 1 {
        !bits
    } else {
        bits | 0x8000_0000
    }
}

fn from_order_key(key: u32) -> f32 {
    f32::from_bits(if key >> 31 == 1 {
        key & 0x7fff_ffff
    } else {
        !key
    })
}

/// Median of the `SIZE`-long window centred on each element of `row`, written to `out`.
/// (A compile-time size lets the searches and moves on the window unroll.)
pub fn sliding_median_into<const SIZE: usize>(row: &[f32], out: &mut [f32]) {
    assert!(SIZE % 2 == 1, "median window must be odd");
    let n = row.len();
    let half = SIZE / 2;
    let padded = |i: isize| order_key(row[reflect(i, n)]);
    let mut window: [u32; SIZE] = std::array::from_fn(|i| padded(i as isize - half as isize));
    window.sort_unstable();
    for i in 0..n {
        out[i] = from_order_key(window[half]);
        if i + 1 == n {
            break;
        }
        let leaving = padded(i as isize - half as isize);
        let entering = padded(i as isize + half as isize + 1);
        let from = window.partition_point(|&v| v < leaving);
        let to = window.partition_point(|&v| v < entering);
        // Drop `leaving` and insert `entering` with one move of the values between them.
        if to <= from {
            window.copy_within(to..from, to + 1);
            window[to] = entering;
        } else {
            window.copy_within(from + 1..to, from);
            window[to - 1] = entering;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_force(row: &[f32], size: usize) -> Vec<f32> {
        let n = row.len() as isize;
        let half = (size / 2) as isize;
        (0..n)
            .map(|i| {
                let mut w: Vec<f32> = (i - half..=i + half)
                    .map(|mut j| {
                        while j < 0 || j >= n {
                            j = if j < 0 { -j - 1 } else { 2 * n - j - 1 };
                        }
                        row[j as usize]
                    })
                    .collect();
                w.sort_by(f32::total_cmp);
                w[size / 2]
            })
            .collect()
    }

    #[test]
    fn matches_sorting_every_window() {
        let mut state = 12345u64;
        for n in [1usize, 2, 5, 31, 100, 257] {
            let row: Vec<f32> = (0..n)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((state >> 40) % 7) as f32 - 3.0 // many ties, both signs
                })
                .collect();
            let mut out = vec![0.0; n];
            sliding_median_into::<1>(&row, &mut out);
            assert_eq!(out, brute_force(&row, 1), "n={n} size=1");
            sliding_median_into::<3>(&row, &mut out);
            assert_eq!(out, brute_force(&row, 3), "n={n} size=3");
            sliding_median_into::<31>(&row, &mut out);
            assert_eq!(out, brute_force(&row, 31), "n={n} size=31");
        }
    }
}
