//! Population statistics (numpy's default `std`, ddof 0), as the Python reference uses.

/// (mean, population standard deviation); NaN for an empty slice.
pub fn mean_and_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (
        mean,
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn population_std() {
        let (mean, std) = super::mean_and_std(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!((mean, std), (5.0, 2.0));
    }
}
