//! Input rows from CSV text (`cargo xtask prune --inputs X.csv`): the finite
//! domain `X` of Section 2 given as data rows.

/// Errors of [`read_input_rows`]. Lines and columns are 1-based, as an editor
/// shows them.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// `n0 = 0` was asked for.
    #[error("the input dimension n_0 must be at least 1, got 0")]
    ZeroDimension,
    /// No data row at all (empty text, or a header only).
    #[error("no input rows found; expected at least one row of {n0} numbers")]
    NoRows {
        /// The expected row length.
        n0: usize,
    },
    /// A row with the wrong number of cells.
    #[error("line {line}: {found} values, expected n_0 = {expected}")]
    RowLength {
        /// Line number.
        line: usize,
        /// `n_0`.
        expected: usize,
        /// Cells found.
        found: usize,
    },
    /// A cell that is not a number.
    #[error("line {line}, column {column}: `{text}` is not a number")]
    BadCell {
        /// Line number.
        line: usize,
        /// Column number.
        column: usize,
        /// The cell's text.
        text: String,
    },
    /// A cell that parses to NaN or ±∞.
    #[error("line {line}, column {column}: `{text}` is not finite; inputs must be finite numbers")]
    NonFinite {
        /// Line number.
        line: usize,
        /// Column number.
        column: usize,
        /// The cell's text.
        text: String,
    },
}

fn cells(line: &str) -> impl Iterator<Item = &str> {
    line.split(',').map(|c| {
        let c = c.trim();
        c.strip_prefix('"')
            .and_then(|c| c.strip_suffix('"'))
            .unwrap_or(c)
            .trim()
    })
}

/// Parses CSV text into input rows of length `n0`.
///
/// Format: one input per line, cells separated by commas, surrounding spaces
/// and double quotes ignored, `\n` or `\r\n` line ends, blank lines skipped.
/// The first non-blank line is a header, and skipped, when **none** of its
/// cells is a number (e.g. `x0,x1,x2`); a first line with some numeric and
/// some non-numeric cells is an error in a data row. A header whose names are
/// numbers (pandas' default `0,1,2`) cannot be told from data: write the file
/// without it (`header=False`) or with names.
///
/// Returns the rows in file order, each of length `n0` with finite entries, or
/// an error naming the line and column of the first bad cell or the line of
/// the first row of wrong length.
///
/// # Example
///
/// ```
/// use logprune_network::read_input_rows;
///
/// let rows = read_input_rows("x0,x1\n0.5, -1\n2e-3,4\n", 2)?;
/// assert_eq!(rows, vec![vec![0.5, -1.0], vec![0.002, 4.0]]);
/// let err = read_input_rows("1,2\n3,oops\n", 2).unwrap_err();
/// assert_eq!(err.to_string(), "line 2, column 2: `oops` is not a number");
/// # Ok::<(), logprune_network::InputError>(())
/// ```
pub fn read_input_rows(text: &str, n0: usize) -> Result<Vec<Vec<f64>>, InputError> {
    if n0 == 0 {
        return Err(InputError::ZeroDimension);
    }
    let mut rows = Vec::new();
    let mut first = true;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        // `lines` strips "\n" and "\r\n"; a BOM may start the file.
        let raw = raw.trim_start_matches('\u{feff}');
        if raw.trim().is_empty() {
            continue;
        }
        if first {
            first = false;
            if cells(raw).all(|c| c.parse::<f64>().is_err()) {
                continue;
            }
        }
        let mut row = Vec::with_capacity(n0);
        for (k, cell) in cells(raw).enumerate() {
            let column = k + 1;
            let value: f64 = cell.parse().map_err(|_| InputError::BadCell {
                line,
                column,
                text: cell.to_owned(),
            })?;
            if !value.is_finite() {
                return Err(InputError::NonFinite {
                    line,
                    column,
                    text: cell.to_owned(),
                });
            }
            row.push(value);
        }
        if row.len() != n0 {
            return Err(InputError::RowLength {
                line,
                expected: n0,
                found: row.len(),
            });
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(InputError::NoRows { n0 });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_and_without_header() {
        let a = read_input_rows("1,2,3\n4,5,6", 3).unwrap();
        assert_eq!(a, vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]);
        let b = read_input_rows("\u{feff}\"a\", \"b\"\r\n\r\n-1.5,\"2\"\r\n", 2).unwrap();
        assert_eq!(b, vec![vec![-1.5, 2.0]]);
        // A numeric header is data.
        let c = read_input_rows("0,1\n2,3\n", 2).unwrap();
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn errors_name_line_and_column() {
        assert_eq!(read_input_rows("1,2", 0), Err(InputError::ZeroDimension));
        assert_eq!(read_input_rows("", 2), Err(InputError::NoRows { n0: 2 }));
        assert_eq!(
            read_input_rows("x,y\n\n", 2),
            Err(InputError::NoRows { n0: 2 })
        );
        assert_eq!(
            read_input_rows("x,y\n1,2\n\n3,4,5\n", 2),
            Err(InputError::RowLength {
                line: 4,
                expected: 2,
                found: 3
            })
        );
        assert_eq!(
            read_input_rows("1,2\n3,\n", 2),
            Err(InputError::BadCell {
                line: 2,
                column: 2,
                text: String::new()
            })
        );
        // A first line mixing numbers and text is a bad data row, not a header.
        assert_eq!(
            read_input_rows("1,x\n3,4\n", 2),
            Err(InputError::BadCell {
                line: 1,
                column: 2,
                text: "x".to_owned()
            })
        );
        assert_eq!(
            read_input_rows("1,2\nNaN,4\n", 2),
            Err(InputError::NonFinite {
                line: 2,
                column: 1,
                text: "NaN".to_owned()
            })
        );
        assert_eq!(
            read_input_rows("1,inf\n", 2),
            Err(InputError::NonFinite {
                line: 1,
                column: 2,
                text: "inf".to_owned()
            })
        );
    }
}
