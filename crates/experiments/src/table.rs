//! A table of typed cells and its CSV form.
//!
//! Numbers are written at full precision: an `f64` prints as the shortest text that reads back
//! to the same bits (Rust's `{:?}`, with an exponent for very large or small magnitudes, e.g.
//! `1e-8`). Non-finite numbers are refused (ARCHITECTURE.md, invariant 2).

use crate::ExperimentError;

/// One cell of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// An integer.
    Int(i128),
    /// A real number; must be finite when written.
    Float(f64),
    /// Text; quoted in CSV when it holds a comma, a quote or a line break.
    Text(String),
    /// `true` or `false`.
    Bool(bool),
}

macro_rules! cell_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Cell {
            fn from(v: $t) -> Self {
                Cell::Int(v as i128)
            }
        }
    )*};
}
cell_from_int!(u8, u16, u32, u64, usize, i8, i16, i32, i64);

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Float(v)
    }
}
impl From<f32> for Cell {
    fn from(v: f32) -> Self {
        Cell::Float(f64::from(v))
    }
}
impl From<bool> for Cell {
    fn from(v: bool) -> Self {
        Cell::Bool(v)
    }
}
impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Text(v.to_owned())
    }
}
impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(v)
    }
}

/// Builds a row (`Vec<Cell>`) from expressions that convert into [`Cell`].
///
/// ```
/// use logprune_experiments::row;
/// let r = row!["a", 1_u64, 0.25, true];
/// assert_eq!(r.len(), 4);
/// ```
#[macro_export]
macro_rules! row {
    ($($x:expr),* $(,)?) => {
        vec![$($crate::table::Cell::from($x)),*]
    };
}

/// Formats a finite `f64` at full precision (shortest round-trip text).
pub fn format_f64(v: f64) -> String {
    // `{:?}` is the shortest round-trip text; integral values keep their `.0`.
    format!("{v:?}")
}

/// A table: named columns and rows of cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    columns: Vec<String>,
    volatile: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: &[&str]) -> Self {
        Table {
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            volatile: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Declares columns that hold wall-clock measurements (seconds, rates): they differ from
    /// run to run, so the committed file leaves them out ([`Table::to_stable_csv`]) and
    /// `cargo xtask reproduce` writes the full table ([`Table::to_csv`]) under
    /// `target/reproduce/` instead (ARCHITECTURE.md, `xtask`).
    #[must_use]
    pub fn with_volatile(mut self, columns: &[&str]) -> Self {
        self.volatile = columns.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// Appends a row. Its length is checked when the table is written.
    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// Appends many rows.
    pub fn extend(&mut self, rows: impl IntoIterator<Item = Vec<Cell>>) {
        self.rows.extend(rows);
    }

    /// The column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The columns declared volatile by [`Table::with_volatile`].
    pub fn volatile_columns(&self) -> &[String] {
        &self.volatile
    }

    /// The rows.
    pub fn rows(&self) -> &[Vec<Cell>] {
        &self.rows
    }

    /// The CSV text: a header line, then one line per row, `\n` line ends. Every column,
    /// the volatile ones included.
    ///
    /// # Errors
    /// [`ExperimentError::RowLength`] if a row has the wrong number of cells,
    /// [`ExperimentError::NonFinite`] if a cell is `NaN` or infinite.
    pub fn to_csv(&self) -> Result<String, ExperimentError> {
        self.csv_keeping(|_| true)
    }

    /// The CSV text without the volatile columns ([`Table::with_volatile`]): the same run
    /// after run, so it is what `data/` holds and `reproduce --check` compares byte for byte.
    /// Equal to [`Table::to_csv`] for a table without volatile columns. Every cell is still
    /// checked, the dropped ones included.
    ///
    /// # Errors
    /// As [`Table::to_csv`].
    pub fn to_stable_csv(&self) -> Result<String, ExperimentError> {
        self.csv_keeping(|c| !self.volatile.iter().any(|v| *v == self.columns[c]))
    }

    fn csv_keeping(&self, keep: impl Fn(usize) -> bool) -> Result<String, ExperimentError> {
        let name = self.columns.join(",");
        let mut out = String::new();
        push_line(
            &mut out,
            (0..self.columns.len())
                .filter(|&c| keep(c))
                .map(|c| escape(&self.columns[c])),
        );
        for (r, row) in self.rows.iter().enumerate() {
            if row.len() != self.columns.len() {
                return Err(ExperimentError::RowLength {
                    table: name,
                    row: r,
                    got: row.len(),
                    expected: self.columns.len(),
                });
            }
            let mut fields = Vec::with_capacity(row.len());
            for (c, cell) in row.iter().enumerate() {
                fields.push(match cell {
                    Cell::Int(v) => v.to_string(),
                    Cell::Float(v) if v.is_finite() => format_f64(*v),
                    Cell::Float(v) => {
                        return Err(ExperimentError::NonFinite {
                            table: name,
                            column: self.columns[c].clone(),
                            row: r,
                            value: *v,
                        });
                    }
                    Cell::Text(s) => escape(s),
                    Cell::Bool(b) => b.to_string(),
                });
            }
            let kept = fields
                .into_iter()
                .enumerate()
                .filter(|&(c, _)| keep(c))
                .map(|(_, f)| f);
            push_line(&mut out, kept);
        }
        Ok(out)
    }
}

fn push_line(out: &mut String, fields: impl Iterator<Item = String>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&f);
    }
    out.push('\n');
}

fn escape(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_full_precision_and_escapes() {
        let mut t = Table::new(&["a", "b", "c"]);
        t.push(crate::row![0.1 + 0.2, 1e-8, "x,y"]);
        t.push(crate::row![3.0, 12345678901234567890.0, "say \"hi\""]);
        assert_eq!(
            t.to_csv().unwrap(),
            "a,b,c\n0.30000000000000004,1e-8,\"x,y\"\n3.0,1.2345678901234567e19,\"say \"\"hi\"\"\"\n"
        );
    }

    #[test]
    fn volatile_columns_are_left_out_of_the_stable_csv_only() {
        let mut t = Table::new(&["n", "seconds", "x,y"]).with_volatile(&["seconds"]);
        t.push(crate::row![1_u64, 0.25, "a"]);
        t.push(crate::row![2_u64, 1.5, "b,c"]);
        assert_eq!(
            t.to_csv().unwrap(),
            "n,seconds,\"x,y\"\n1,0.25,a\n2,1.5,\"b,c\"\n"
        );
        assert_eq!(t.to_stable_csv().unwrap(), "n,\"x,y\"\n1,a\n2,\"b,c\"\n");
        // Without volatile columns the two agree.
        let mut plain = Table::new(&["n"]);
        plain.push(crate::row![3_u64]);
        assert_eq!(plain.to_stable_csv().unwrap(), plain.to_csv().unwrap());
        // A dropped cell is still checked.
        let mut bad = Table::new(&["n", "seconds"]).with_volatile(&["seconds"]);
        bad.push(crate::row![1_u64, f64::NAN]);
        assert!(matches!(
            bad.to_stable_csv(),
            Err(ExperimentError::NonFinite { .. })
        ));
    }

    #[test]
    fn refuses_non_finite_and_bad_rows() {
        let mut t = Table::new(&["a"]);
        t.push(crate::row![f64::INFINITY]);
        assert!(matches!(t.to_csv(), Err(ExperimentError::NonFinite { .. })));
        let mut t = Table::new(&["a"]);
        t.push(crate::row![f64::NAN]);
        assert!(matches!(t.to_csv(), Err(ExperimentError::NonFinite { .. })));
        let mut t = Table::new(&["a", "b"]);
        t.push(crate::row![1_u64]);
        assert!(matches!(
            t.to_csv(),
            Err(ExperimentError::RowLength {
                got: 1,
                expected: 2,
                ..
            })
        ));
    }
}
