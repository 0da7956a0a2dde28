//! Tables that fit the terminal: when stdout is a terminal (or `COLUMNS` is set), columns are
//! narrowed until the table fits, and cells wrap at spaces — long ids at their separators
//! (`/ : . - _ @ , =`), never in the middle of a segment unless one segment alone is wider
//! than its column. Piped output is not wrapped at all: each table is as narrow as its content.

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use std::fmt;
use unicode_width::UnicodeWidthStr;

/// Narrowest a column is squeezed to (unless its content is narrower).
const MIN_COLUMN: usize = 8;

/// A table under construction.
pub struct Grid {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Grid {
    pub fn new(header: &[&str]) -> Grid {
        Grid { header: header.iter().map(|h| h.to_string()).collect(), rows: Vec::new() }
    }

    pub fn add_row<T: Into<String>>(&mut self, row: Vec<T>) -> &mut Grid {
        self.rows.push(row.into_iter().map(Into::into).collect());
        self
    }

    /// Render for a terminal `width` columns wide (`None`: as wide as the content).
    pub fn render(&self, width: Option<usize>) -> String {
        let widths = width.map(|w| self.fit(w));
        let cell = |text: &str, column: usize| match &widths {
            Some(widths) => wrap(text, widths[column]),
            None => text.to_string(),
        };
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled);
        table.set_header(self.header.iter().enumerate().map(|(i, h)| cell(h, i)).collect::<Vec<_>>());
        for row in &self.rows {
            table.add_row(row.iter().enumerate().map(|(i, c)| cell(c, i)).collect::<Vec<_>>());
        }
        table.to_string()
    }

    /// Column widths whose table fits `total` (borders and padding take 3 per column + 1).
    fn fit(&self, total: usize) -> Vec<usize> {
        let columns = self.header.len();
        let all_rows = || std::iter::once(&self.header).chain(&self.rows);
        let natural: Vec<usize> = (0..columns)
            .map(|i| all_rows().filter_map(|r| r.get(i)).flat_map(|c| c.lines()).map(str::width).max().unwrap_or(0))
            .collect();
        let floor: Vec<usize> = natural.iter().map(|n| (*n).min(MIN_COLUMN)).collect();
        let mut widths = natural.clone();
        let budget = total.saturating_sub(3 * columns + 1);
        while widths.iter().sum::<usize>() > budget {
            let Some(widest) = (0..columns).filter(|i| widths[*i] > floor[*i]).max_by_key(|i| widths[*i]) else {
                break;
            };
            widths[widest] -= 1;
        }
        widths
    }
}

impl fmt::Display for Grid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(terminal_width()))
    }
}

/// Prose wrapped to the terminal (unwrapped when piped).
pub fn paragraph(text: &str) -> String {
    match terminal_width() {
        Some(width) => wrap(text, width),
        None => text.to_string(),
    }
}

/// The width to fit: `COLUMNS` when set, else the terminal's when stdout is one.
fn terminal_width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse().ok()) {
        return Some(columns);
    }
    // comfy-table asks the terminal when stdout is one.
    Table::new().width().map(usize::from).filter(|w| *w > 0)
}

/// `text` wrapped to `width`: at spaces, then at id separators, then (only for a segment wider
/// than `width`) anywhere.
pub fn wrap(text: &str, width: usize) -> String {
    let width = width.max(1);
    let mut lines = Vec::new();
    for line in text.lines() {
        let mut current = String::new();
        for word in line.split(' ') {
            let spaced = if current.is_empty() { word.width() } else { current.width() + 1 + word.width() };
            if spaced <= width {
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(word);
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            for piece in segments(word, width) {
                if current.width() + piece.width() > width && !current.is_empty() {
                    lines.push(std::mem::take(&mut current));
                }
                current.push_str(piece);
            }
        }
        lines.push(current);
    }
    lines.join("\n")
}

/// `word` cut after each separator, and segments wider than `width` cut to `width`.
fn segments(word: &str, width: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, c) in word.char_indices() {
        if "/:.-_@,=".contains(c) {
            pieces.push(&word[start..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    pieces.push(&word[start..]);
    pieces
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|piece| {
            let mut cut = Vec::new();
            let mut rest = piece;
            while rest.width() > width {
                let end = rest
                    .char_indices()
                    .map(|(i, c)| i + c.len_utf8())
                    .take_while(|e| rest[..*e].width() <= width)
                    .last();
                let end = end.unwrap_or_else(|| rest.chars().next().map_or(rest.len(), char::len_utf8));
                cut.push(&rest[..end]);
                rest = &rest[end..];
            }
            cut.push(rest);
            cut
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_wrap_at_their_separators() {
        let arn = "arn:aws:eks:us-east-1:123456789012:cluster/production";
        let wrapped = wrap(arn, 22);
        assert_eq!(wrapped, "arn:aws:eks:us-east-1:\n123456789012:cluster/\nproduction");
        assert_eq!(wrapped.replace('\n', ""), arn, "nothing is lost or added");
        assert_eq!(wrap("two words fit", 40), "two words fit");
        assert_eq!(wrap("a verylongsegmentwithoutseparators", 10), "a\nverylongse\ngmentwitho\nutseparato\nrs");
    }

    #[test]
    fn a_table_fits_the_width_it_is_given_and_is_unwrapped_without_one() {
        let mut grid = Grid::new(&["NAME", "RESOURCE"]);
        grid.add_row(vec!["bucket-reader", "s3://my-organisation-machine-learning-datasets-2026/"]);
        grid.add_row(vec!["cluster", "arn:aws:eks:eu-west-1:123456789012:cluster/production-cluster"]);
        let narrow = grid.render(Some(50));
        assert!(narrow.lines().all(|l| l.width() <= 50), "{narrow}");
        assert!(narrow.contains("arn:aws:eks:eu-west-1:"), "{narrow}");
        let piped = grid.render(None);
        assert!(piped.contains("arn:aws:eks:eu-west-1:123456789012:cluster/production-cluster"), "{piped}");
    }
}
