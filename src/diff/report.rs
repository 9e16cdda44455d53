//! The human-readable diff report: a summary by namespace/name and a unified diff per changed object.

use std::fmt::Write as _;

use super::compare::{DiffReport, ObjectKey};
use crate::k8s::escape_controls;

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

/// Renders the report for a terminal; `color` adds ANSI colours (the
/// caller decides from `--color` and whether stdout is a terminal).
/// What the report names (objects, lines of their YAML, kinds) has its
/// control characters escaped (`k8s::text`); only the colours are npc's.
pub fn render_human(report: &DiffReport, color: bool) -> String {
    let paint = |style: &str, text: &str| {
        let text = escape_controls(text);
        if color && !style.is_empty() {
            format!("{style}{text}{RESET}")
        } else {
            text.into_owned()
        }
    };
    let mut out = String::new();
    let summary = format!(
        "{} to add, {} to remove, {} to change, {} unchanged",
        report.added.len(),
        report.removed.len(),
        report.changed.len(),
        report.unchanged.len()
    );
    let _ = writeln!(out, "{}", paint(BOLD, &summary));
    let changed: Vec<ObjectKey> = report.changed.iter().map(|c| c.key.clone()).collect();
    let sections: [(&str, &str, &str, &[ObjectKey]); 5] = [
        ("added", "+", GREEN, &report.added),
        ("removed", "-", RED, &report.removed),
        ("changed", "~", YELLOW, &changed),
        ("unchanged", "=", "", &report.unchanged),
        (
            "unmanaged, also in force (NetworkPolicies add up: these still allow traffic)",
            "!",
            YELLOW,
            &report.unmanaged_in_force,
        ),
    ];
    for (title, mark, style, keys) in sections {
        if keys.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title}:");
        for key in keys {
            let line = format!("{mark} {key}");
            let _ = writeln!(out, "  {}", paint(style, &line));
        }
    }
    for change in &report.changed {
        out.push('\n');
        for (i, line) in change.diff.lines().enumerate() {
            let style = match line.as_bytes().first() {
                _ if i < 2 => BOLD,
                Some(b'@') => CYAN,
                Some(b'-') => RED,
                Some(b'+') => GREEN,
                _ => "",
            };
            let _ = writeln!(out, "{}", paint(style, line));
        }
    }
    let mut notes = report.notes.clone();
    if report.ignored_unmanaged > 0 {
        notes.push(format!(
            "ignored {} not managed by npc, in namespaces npc does not write to",
            count(report.ignored_unmanaged, "NetworkPolicy", "NetworkPolicies")
        ));
    }
    let others: usize = report.ignored_other_kinds.values().sum();
    if others > 0 {
        let kinds: Vec<String> = report
            .ignored_other_kinds
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        notes.push(format!(
            "ignored {} ({})",
            count(
                others,
                "object that is not a NetworkPolicy",
                "objects that are not NetworkPolicies"
            ),
            kinds.join(", ")
        ));
    }
    if !notes.is_empty() {
        out.push('\n');
    }
    for note in notes {
        let _ = writeln!(out, "{}: {}", paint(BOLD, "note"), escape_controls(&note));
    }
    out
}

/// `1 thing` / `2 things`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
