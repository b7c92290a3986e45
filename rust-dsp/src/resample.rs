//! Sample-rate conversion through the system libsoxr, with the settings python-soxr's
//! `resample(..., quality="HQ")` uses (float32 in and out, SOXR_HQ, one thread), so the
//! Rust and Python analysis signals are the same samples.

use std::ffi::{c_char, c_double, c_uint, c_ulong, c_void, CStr};
use std::ptr;

const SOXR_FLOAT32_I: c_uint = 0;
const SOXR_HQ: c_ulong = 4;

#[repr(C)]
struct IoSpec {
    itype: c_uint,
    otype: c_uint,
    scale: c_double,
    e: *mut c_void,
    flags: c_ulong,
}

#[repr(C)]
struct QualitySpec {
    precision: c_double,
    phase_response: c_double,
    passband_end: c_double,
    stopband_begin: c_double,
    e: *mut c_void,
    flags: c_ulong,
}

#[repr(C)]
struct RuntimeSpec {
    log2_min_dft_size: c_uint,
    log2_large_dft_size: c_uint,
    coef_size_kbytes: c_uint,
    num_threads: c_uint,
    e: *mut c_void,
    flags: c_ulong,
}

type Soxr = *mut c_void;
type SoxrError = *const c_char;

extern "C" {
    fn soxr_quality_spec(recipe: c_ulong, flags: c_ulong) -> QualitySpec;
    fn soxr_runtime_spec(num_threads: c_uint) -> RuntimeSpec;
    fn soxr_create(
        input_rate: c_double,
        output_rate: c_double,
        num_channels: c_uint,
        error: *mut SoxrError,
        io_spec: *const IoSpec,
        quality_spec: *const QualitySpec,
        runtime_spec: *const RuntimeSpec,
    ) -> Soxr;
    fn soxr_process(
        resampler: Soxr,
        input: *const c_void,
        input_len: usize,
        input_done: *mut usize,
        output: *mut c_void,
        output_len: usize,
        output_done: *mut usize,
    ) -> SoxrError;
    fn soxr_delete(resampler: Soxr);
}

fn check(error: SoxrError) -> Result<(), String> {
    if error.is_null() {
        Ok(())
    } else {
        Err(unsafe { CStr::from_ptr(error) }
            .to_string_lossy()
            .into_owned())
    }
}

/// `signal` (mono) resampled from `from_hz` to `to_hz`, flushed to the end.
pub fn resample(signal: &[f32], from_hz: u32, to_hz: u32) -> Result<Vec<f32>, String> {
    if from_hz == to_hz {
        return Ok(signal.to_vec());
    }
    let io = IoSpec {
        itype: SOXR_FLOAT32_I,
        otype: SOXR_FLOAT32_I,
        scale: 1.0,
        e: ptr::null_mut(),
        flags: 0,
    };
    let quality = unsafe { soxr_quality_spec(SOXR_HQ, 0) };
    let runtime = unsafe { soxr_runtime_spec(1) };
    let mut error: SoxrError = ptr::null();
    let resampler = unsafe {
        soxr_create(
            from_hz as f64,
            to_hz as f64,
            1,
            &mut error,
            &io,
            &quality,
            &runtime,
        )
    };
    check(error)?;
    if resampler.is_null() {
        return Err("soxr_create failed".into());
    }
    let expected = (signal.len() as f64 * to_hz as f64 / from_hz as f64 + 0.5) as usize;
    let mut out = vec![0.0f32; expected + 1024];
    let mut produced = 0usize;
    let result = (|| {
        let mut consumed = 0usize;
        while consumed < signal.len() {
            let (mut idone, mut odone) = (0usize, 0usize);
            if produced == out.len() {
                out.resize(out.len() * 2, 0.0);
            }
            check(unsafe {
                soxr_process(
                    resampler,
                    signal[consumed..].as_ptr() as *const c_void,
                    signal.len() - consumed,
                    &mut idone,
                    out[produced..].as_mut_ptr() as *mut c_void,
                    out.len() - produced,
                    &mut odone,
                )
            })?;
            consumed += idone;
            produced += odone;
        }
        loop {
            // A null input flushes what the filter still holds.
            if produced == out.len() {
                out.resize(out.len() * 2, 0.0);
            }
            let mut odone = 0usize;
            check(unsafe {
                soxr_process(
                    resampler,
                    ptr::null(),
                    0,
                    ptr::null_mut(),
                    out[produced..].as_mut_ptr() as *mut c_void,
                    out.len() - produced,
                    &mut odone,
                )
            })?;
            produced += odone;
            if odone == 0 {
                break;
            }
        }
        Ok::<(), String>(())
    })();
    unsafe { soxr_delete(resampler) };
    result?;
    out.truncate(produced);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_keeps_its_frequency_and_level_and_the_length_scales() {
        let (from, to) = (44100u32, 22050u32);
        let tone: Vec<f32> = (0..from as usize)
            .map(|i| {
                (0.5 * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / from as f64).sin()) as f32
            })
            .collect();
        let out = resample(&tone, from, to).unwrap();
        assert_eq!(out.len(), to as usize);
        // Away from the edges the output is the same tone sampled at the new rate.
        for i in 2000..20000 {
            let want = 0.5 * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / to as f64).sin();
            assert!(
                (out[i] as f64 - want).abs() < 1e-3,
                "sample {i}: {} vs {want}",
                out[i]
            );
        }
    }
}
