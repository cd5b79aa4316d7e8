//! Number formatting shared by the dashboard and the headless log: milliseconds, bytes,
//! plurals. Plain functions, no styling.

use std::time::Duration;

/// A diagnostic's file as a terminal or an editor opens it: a module outside the root
/// (`/@fs/home/me/repo/packages/ui/Button.tsx`, a workspace package's) by its absolute path;
/// one of the root by its module id (`/src/App.tsx`).
pub fn diagnostic_path(file: &str) -> &str {
    file.strip_prefix("/@fs")
        .filter(|p| p.starts_with('/'))
        .unwrap_or(file)
}

/// Milliseconds as a float, the unit every latency is shown in.
pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// `0.4 ms`, `9.4 ms`, `41 ms`, `1.25 s`: one decimal below 10 ms, whole milliseconds up to a
/// second, then seconds.
pub fn duration(duration: Duration) -> String {
    let ms = millis(duration);
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// Milliseconds without the unit, one decimal: the compact form of phase breakdowns.
pub fn millis_short(duration: Duration) -> String {
    format!("{:.1}", millis(duration))
}

/// `512 B`, `3.0 KiB`, `84.2 MiB`, `1.5 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A signed byte difference: `+3.1 MiB`, `-512 B`, `±0 B`.
pub fn bytes_delta(from: u64, to: u64) -> String {
    match to.cmp(&from) {
        std::cmp::Ordering::Greater => format!("+{}", bytes(to - from)),
        std::cmp::Ordering::Less => format!("-{}", bytes(from - to)),
        std::cmp::Ordering::Equal => "±0 B".to_owned(),
    }
}

/// `1 module`, `2 modules`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Elapsed time in whole units for clocks: `12s`, `4m 05s`, `2h 03m`.
pub fn clock(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_keep_one_decimal_only_when_small() {
        assert_eq!(duration(Duration::from_micros(1_840)), "1.8 ms");
        assert_eq!(duration(Duration::from_micros(41_300)), "41 ms");
        assert_eq!(duration(Duration::from_millis(1_250)), "1.25 s");
        assert_eq!(millis_short(Duration::from_micros(950)), "0.9");
    }

    #[test]
    fn bytes_use_binary_units() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 * 1024), "3.0 KiB");
        assert_eq!(bytes(88_290_000), "84.2 MiB");
        assert_eq!(bytes_delta(2048, 1024), "-1.0 KiB");
        assert_eq!(bytes_delta(7, 7), "±0 B");
    }

    #[test]
    fn clocks_and_plurals() {
        assert_eq!(clock(Duration::from_secs(245)), "4m 05s");
        assert_eq!(clock(Duration::from_secs(7380)), "2h 03m");
        assert_eq!(count(1, "module", "modules"), "1 module");
        assert_eq!(count(0, "module", "modules"), "0 modules");
    }
}
