//! The memory suite: RSS per receipt kept, and the peak RSS of STARK proofs beside the
//! executor's admission estimate.

use anyhow::Result;
use l2x_core::BackendId;
use l2x_executor::Policy;
use l2x_lab::{Case, Metric, Outcome, Spec};

use super::executor::trace_receipts;
use super::{executor, fail};

/// Runs this binary with `args` and `--json`, and returns the `peak_rss_bytes` it reports.
pub(super) fn child_peak_rss(args: &[&str]) -> Result<f64, String> {
    let exe = std::env::current_exe().map_err(fail)?;
    let out = std::process::Command::new(exe)
        .args(args)
        .arg("--json")
        .output()
        .map_err(fail)?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(fail)?;
    report["peak_rss_bytes"]
        .as_f64()
        .ok_or_else(|| "the child reported no peak RSS".to_string())
}

fn proc_status(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// RSS growth per 1000 trace receipts kept in memory, and the peak RSS of one STARK proof by
/// trace height beside the executor's admission estimate. Each proof runs in a fresh `l2x
/// prove` process, which reports its own peak: in this process the allocator would keep the
/// heap of earlier jobs and hide the next job's peak.
pub fn memory(quick: bool) -> Result<Vec<Case<'static>>> {
    let receipts = Spec::new(
        "memory",
        "receipts",
        Some(1000),
        "RSS growth for 1000 trace receipts kept in memory",
    );
    let mut cases = vec![Case::new(receipts, |_| {
        let before = proc_status("VmRSS:").ok_or("no /proc/self/status")?;
        let kept = trace_receipts(1000)?;
        let after = proc_status("VmRSS:").ok_or("no /proc/self/status")?;
        let encoded: usize = kept.iter().map(|r| r.to_bytes().len()).sum();
        Ok(Outcome::default()
            .with(Metric::new(
                "rss_growth_bytes",
                after.saturating_sub(before) as f64,
                "bytes",
            ))
            .with(Metric::new("encoded_bytes", encoded as f64, "bytes")))
    })];
    let heights: &[u64] = if quick {
        &[1023]
    } else {
        &[1023, 16383, 65535, 262143]
    };
    for &n in heights {
        let spec = Spec::new(
            "memory",
            "stark-fibonacci",
            Some(n),
            format!("peak RSS of an `l2x prove` process proving the STARK of fib({n})"),
        );
        cases.push(Case::new(spec, move |_| {
            let input = n.to_string();
            let ex = executor(BackendId::Stark, Policy::Sequential).map_err(fail)?;
            let estimate = ex.plan("fibonacci", input.as_bytes()).map_err(fail)?.memory;
            let peak = child_peak_rss(&[
                "prove",
                "fibonacci",
                "--input",
                &input,
                "--backend",
                "stark",
            ])?;
            Ok(Outcome::default()
                .with(Metric::new("peak_bytes", peak, "bytes"))
                .with(Metric::new("estimate_bytes", estimate as f64, "bytes")))
        }));
    }
    Ok(cases)
}
