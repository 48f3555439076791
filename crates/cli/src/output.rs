//! Formatting for people and for `--json`.

use std::io::IsTerminal;
use std::time::Duration;

use l2x_core::{BackendId, PublicOutput};
use serde_json::{Map, Value, json};

/// A duration with a unit that keeps three significant digits.
pub fn duration(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// Milliseconds as a JSON number, to the nanosecond.
pub fn millis(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1e6
}

/// A byte count with a binary unit.
pub fn bytes(n: usize) -> String {
    match n {
        0..1024 => format!("{n} B"),
        1024..0x10_0000 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1048576.0),
    }
}

/// The backend's name with a dev-mode warning where it applies.
pub fn backend_label(backend: BackendId) -> String {
    if backend.is_dev() {
        format!("{backend} (DEV MODE: this receipt proves nothing)")
    } else {
        backend.to_string()
    }
}

/// Adds `fields` to a JSON object (no-op on other values).
pub fn extend<const N: usize>(object: &mut Value, fields: [(&'static str, Value); N]) {
    if let Value::Object(map) = object {
        for (key, value) in fields {
            map.insert(key.to_owned(), value);
        }
    }
}

/// The public values as a JSON object of strings, in the program's order.
pub fn public_values_json(output: &PublicOutput) -> Value {
    let fields: Map<String, Value> = output
        .fields
        .iter()
        .map(|f| (f.name.to_owned(), json!(f.value)))
        .collect();
    Value::Object(fields)
}

/// Prints the public values as aligned `name  value` lines.
pub fn print_public_values(output: &PublicOutput) {
    for field in &output.fields {
        outln!("  {:<9} {}", field.name, field.value);
    }
}

/// A spinner on stderr for work that takes seconds, with the time elapsed and, while a proof
/// runs under [`crate::logging::watch_phases`], its phase; hidden when `show` is false or stderr
/// is not a terminal.
pub fn spinner(show: bool, what: &'static str) -> indicatif::ProgressBar {
    if !show || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let style = indicatif::ProgressStyle::with_template("{spinner} {prefix} {elapsed:>3} {msg}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
    let bar = indicatif::ProgressBar::new_spinner()
        .with_style(style)
        .with_prefix(what);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// A progress bar on stderr (`what` done of total, elapsed, ETA, then the bar's message);
/// hidden when `show` is false or stderr is not a terminal.
pub fn progress_bar(show: bool, total: u64, what: &str) -> indicatif::ProgressBar {
    if !show || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{{spinner}} {what} {{pos}}/{{len}} [{{bar:30}}] {{elapsed}} elapsed, eta {{eta}} {{msg}}"
    ))
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    let bar = indicatif::ProgressBar::new(total).with_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// The peak resident memory of this process so far (`VmHWM`), where the kernel reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// Writes to stdout; a closed stdout ends the process with success (the reader has what it
/// wanted), any other write error with the usage exit code.
pub fn write(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(i32::from(crate::EXIT_USAGE));
    }
}

/// [`write()`] followed by a newline.
pub fn write_line(args: std::fmt::Arguments<'_>) {
    write(format_args!("{args}\n"));
}

/// Reports a failure and returns its exit code: with `json`, the one JSON object
/// `{"error", "exit_code", ...fields}` on stdout; else `error: …` on stderr. Every error the CLI
/// reports goes through here.
pub fn failure(
    json: bool,
    error: &str,
    code: u8,
    fields: &[(&str, Value)],
) -> std::process::ExitCode {
    if json {
        let mut object = Map::new();
        object.insert("error".into(), json!(error));
        object.insert("exit_code".into(), json!(code));
        for (key, value) in fields {
            object.insert((*key).to_owned(), value.clone());
        }
        print_json(&Value::Object(object));
    } else {
        eprintln!("error: {error}");
    }
    std::process::ExitCode::from(code)
}

/// A verifier's [`failure`]: `"valid": false` beside `fields`, with `code` (1 for something
/// that does not verify, 2 for a file that cannot be read).
pub fn invalid(
    json: bool,
    error: &str,
    code: u8,
    fields: &[(&str, Value)],
) -> std::process::ExitCode {
    let mut all = vec![("valid", json!(false))];
    all.extend_from_slice(fields);
    failure(json, error, code, &all)
}

/// Prints one JSON object on stdout.
pub fn print_json(value: &Value) {
    outln!("{value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(duration(Duration::from_nanos(812)), "812 ns");
        assert_eq!(duration(Duration::from_nanos(3_210)), "3.21 µs");
        assert_eq!(duration(Duration::from_micros(4_560)), "4.56 ms");
        assert_eq!(duration(Duration::from_millis(1_230)), "1.23 s");
        assert_eq!(bytes(84), "84 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 << 20), "3.0 MiB");
    }
}
