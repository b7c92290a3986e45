//! Signal edges for sliding windows: numpy's "symmetric" padding, which is scipy.ndimage's
//! "reflect" (the edge sample repeats: … b a | a b c … x y z | z y …).

/// Where index `i` of the extended signal falls in a signal of length `n` (n > 0).
pub fn reflect(i: isize, n: usize) -> usize {
    let n = n as isize;
    let mut j = i;
    loop {
        if j < 0 {
            j = -j - 1;
        } else if j >= n {
            j = 2 * n - j - 1;
        } else {
            return j as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_repeat_the_edge_sample() {
        let extended: Vec<usize> = (-4..8).map(|i| reflect(i, 3)).collect();
        assert_eq!(extended, vec![2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1]);
    }
}
