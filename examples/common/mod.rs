//! What the tutorial examples share: Python's way of printing values, so
//! that every example prints, character for character, what its mpi4py
//! original prints under `mpirun`.
//!
//! - [`Value`] is a Python object as mpi4py's lowercase calls (`send`,
//!   `bcast`) pickle it: ints, floats, strings, lists, tuples and dicts
//!   (entries in insertion order, as Python keeps them). It travels with
//!   serde and its `Display` is Python's `repr`.
//! - [`array_str`] and [`scalar_str`] are numpy's `str()` of a 1-d float64
//!   array and of a 0-d one, under numpy's default print options
//!   (precision 8, floatmode `maxprec`, linewidth 75, threshold 1000,
//!   edgeitems 3). They follow numpy's `FloatingFormat` and `_formatArray`
//!   (numpy/core/arrayprint.py): every value gets the shortest digits that
//!   identify it, cut to at most 8 fraction digits; all values are padded
//!   to a common integer width (left) and fraction width (right); the
//!   elements are wrapped into lines of at most 75 characters with a
//!   one-space hanging indent. Scientific notation is chosen as numpy
//!   chooses it (largest magnitude >= 1e8, smallest non-zero < 1e-4, or
//!   a ratio above 1000).
//! - [`linspace`] computes `np.linspace` with numpy's floating-point
//!   operations, so that the digits printed are numpy's.
//! - [`say`] prints a possibly multi-line record in one `write`, and
//!   [`require_ranks`] ends a job too small for an example.
//!
//! Each example includes this file with `mod common;`; `tests/examples.rs`
//! includes it too and runs the unit tests at the bottom, whose expected
//! strings were printed by numpy 2.4 and CPython 3.
// Each example uses only part of the module.
#![allow(dead_code)]

use std::fmt;
use std::io::Write;

use serde::{Deserialize, Serialize};

/// A Python object of the kinds the tutorial sends as objects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// `None`.
    None,
    /// `True` or `False`.
    Bool(bool),
    /// An `int` (as far as 64 bits go).
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `str`.
    Str(String),
    /// A `list`.
    List(Vec<Value>),
    /// A `tuple`.
    Tuple(Vec<Value>),
    /// A `dict`, its entries in insertion order.
    Dict(Vec<(Value, Value)>),
}

impl Value {
    /// A dict of string keys, in the order given.
    pub fn dict<const N: usize>(entries: [(&str, Value); N]) -> Value {
        Value::Dict(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_string())
    }
}

/// Python's `repr`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn items(f: &mut fmt::Formatter<'_>, items: &[Value]) -> fmt::Result {
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{v}")?;
            }
            Ok(())
        }
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => f.write_str(&float_repr(*v)),
            Value::Str(s) => f.write_str(&str_repr(s)),
            Value::List(v) => {
                f.write_str("[")?;
                items(f, v)?;
                f.write_str("]")
            }
            Value::Tuple(v) => {
                f.write_str("(")?;
                items(f, v)?;
                // A tuple of one is `(x,)`, telling it from a parenthesis.
                f.write_str(if v.len() == 1 { ",)" } else { ")" })
            }
            Value::Dict(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Python's `repr` of a string: single quotes unless the string holds a
/// single quote and no double quote; escapes for the quote, backslash and
/// control characters.
fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The shortest digits that read back as `x` (`x` finite), as
/// (negative, digits, exponent of the first digit): 3.14 is
/// (false, "314", 0), 0.001 is (false, "1", -3), 0.0 is (false, "0", 0).
/// Where two strings of that length read back, the one nearer to `x`
/// (half to even), as CPython and numpy choose.
fn shortest_digits(x: f64) -> (bool, String, i32) {
    let parse = |s: &str| -> (bool, String, i32) {
        let (mantissa, exp) = s.split_once('e').expect("{:e} has an exponent");
        let digits = mantissa.chars().filter(char::is_ascii_digit).collect();
        (
            mantissa.starts_with('-'),
            digits,
            exp.parse().expect("{:e} exponent is an integer"),
        )
    };
    // Rust's `{:e}` prints the shortest round-trip digits, e.g. "-3.14e0",
    // but of two candidates it may take the farther one (1.13 for 1.125).
    let shortest = parse(&format!("{x:e}"));
    let n = shortest.1.len();
    let nearest = format!("{x:.prec$e}", prec = n - 1);
    if nearest.parse::<f64>() == Ok(x) {
        parse(&nearest)
    } else {
        shortest
    }
}

/// Python's `repr` of a float (also numpy's `str` of a float64 scalar):
/// the shortest digits that read back as the value, positional with at
/// least one fraction digit for exponents -4..=15, else scientific with a
/// sign and at least two exponent digits (`1e-05`, `1.5e+16`).
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf".into() } else { "inf".into() };
    }
    let (negative, digits, exp) = shortest_digits(x);
    let sign = if negative { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    // Python's decpt is the position of the decimal point after the first
    // digit's: exp + 1.
    let decpt = exp + 1;
    if decpt > -4 && decpt <= 16 {
        let body = if decpt <= 0 {
            format!("0.{}{digits}", "0".repeat((-decpt) as usize))
        } else if decpt as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(decpt as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(decpt as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{dot}{rest}e{esign}{:02}", exp.unsigned_abs())
    }
}

/// numpy's default `precision` print option: at most this many digits
/// after the point.
const PRECISION: usize = 8;
/// numpy's default `linewidth`.
const LINE_WIDTH: usize = 75;
/// numpy's default `threshold`: longer arrays are summarized.
const THRESHOLD: usize = 1000;
/// numpy's default `edgeitems`: what a summary shows at each end.
const EDGE_ITEMS: usize = 3;

/// `x` (finite) as numpy's Dragon4 prints it positionally in `maxprec`
/// mode: the shortest unique digits, rounded to at most `PRECISION`
/// fraction digits, trailing zeros trimmed but the point kept. Returns the
/// integer part (with its sign) and the fraction digits.
fn positional(x: f64) -> (String, String) {
    let (negative, digits, exp) = shortest_digits(x);
    let sign = if negative { "-" } else { "" };
    let decpt = exp + 1;
    let (int, frac) = if decpt <= 0 {
        (
            "0".to_string(),
            format!("{}{digits}", "0".repeat((-decpt) as usize)),
        )
    } else if decpt as usize >= digits.len() {
        (
            format!("{digits}{}", "0".repeat(decpt as usize - digits.len())),
            String::new(),
        )
    } else {
        let (i, f) = digits.split_at(decpt as usize);
        (i.to_string(), f.to_string())
    };
    let frac = frac.trim_end_matches('0');
    if frac.len() <= PRECISION {
        return (format!("{sign}{int}"), frac.to_string());
    }
    // Too many digits: round the exact value, half to even, as Dragon4.
    let rounded = format!("{x:.PRECISION$}");
    let (int, frac) = rounded.split_once('.').expect("{:.8} has a point");
    (int.to_string(), frac.trim_end_matches('0').to_string())
}

/// `x` (finite) as numpy's Dragon4 prints it in scientific notation in
/// `maxprec` mode: (integer digit with sign, fraction digits, exponent).
fn scientific(x: f64) -> (String, String, i32) {
    let (negative, digits, exp) = shortest_digits(x);
    let sign = if negative { "-" } else { "" };
    let (first, rest) = digits.split_at(1);
    let rest = rest.trim_end_matches('0');
    if rest.len() <= PRECISION {
        return (format!("{sign}{first}"), rest.to_string(), exp);
    }
    let rounded = format!("{x:.PRECISION$e}");
    let (mantissa, exp) = rounded.split_once('e').expect("{:e} has an exponent");
    let (int, frac) = mantissa.split_once('.').expect("{:.8e} has a point");
    let exp = exp.parse().expect("{:e} exponent is an integer");
    (int.to_string(), frac.trim_end_matches('0').to_string(), exp)
}

/// How every element of one array is printed: numpy's `FloatingFormat`,
/// fixed from all the values shown so that the columns line up.
struct FloatFormat {
    scientific: bool,
    /// Width of the integer part, sign included.
    pad_left: usize,
    /// Width of what follows the point (positional: fraction digits;
    /// scientific: fraction digits, `e`, sign and exponent digits).
    pad_right: usize,
    /// Scientific: the fraction digits every element shows.
    precision: usize,
    /// Scientific: the exponent digits every element shows.
    exp_digits: usize,
}

impl FloatFormat {
    fn new(data: &[f64]) -> FloatFormat {
        let finite: Vec<f64> = data.iter().copied().filter(|x| x.is_finite()).collect();
        let magnitudes = finite.iter().map(|x| x.abs()).filter(|&x| x != 0.0);
        let (min, max) = magnitudes.fold((f64::INFINITY, 0.0f64), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        // numpy's test; on overflow max / min is inf, which is > 1e3 too.
        let exp_format = max > 0.0 && (max >= 1e8 || min < 1e-4 || max / min > 1e3);
        let mut f = FloatFormat {
            scientific: exp_format,
            pad_left: 0,
            pad_right: 0,
            precision: 0,
            exp_digits: 0,
        };
        if finite.is_empty() {
            f.scientific = false;
        } else if exp_format {
            for (int, frac, exp) in finite.iter().map(|&x| scientific(x)) {
                f.pad_left = f.pad_left.max(int.len());
                f.precision = f.precision.max(frac.len());
                f.exp_digits = f
                    .exp_digits
                    .max(exp.unsigned_abs().to_string().len().max(2));
            }
            f.pad_right = f.exp_digits + 2 + f.precision;
        } else {
            for (int, frac) in finite.iter().map(|&x| positional(x)) {
                f.pad_left = f.pad_left.max(int.len());
                f.pad_right = f.pad_right.max(frac.len());
            }
        }
        if finite.len() != data.len() {
            // Make room for "nan", "inf" and "-inf" in the common width.
            let neginf = data.contains(&f64::NEG_INFINITY) as usize;
            let offset = f.pad_right + 1;
            f.pad_left = f
                .pad_left
                .max(3usize.saturating_sub(offset))
                .max((3 + neginf).saturating_sub(offset));
        }
        f
    }

    fn format(&self, x: f64) -> String {
        let (pad_left, pad_right) = (self.pad_left, self.pad_right);
        if !x.is_finite() {
            let word = if x.is_nan() {
                "nan"
            } else if x < 0.0 {
                "-inf"
            } else {
                "inf"
            };
            return format!("{word:>width$}", width = pad_left + pad_right + 1);
        }
        if self.scientific {
            let (int, frac, exp) = scientific(x);
            let esign = if exp < 0 { '-' } else { '+' };
            format!(
                "{int:>pad_left$}.{frac:0<precision$}e{esign}{:0>digits$}",
                exp.unsigned_abs(),
                precision = self.precision,
                digits = self.exp_digits
            )
        } else {
            let (int, frac) = positional(x);
            format!("{int:>pad_left$}.{frac:<pad_right$}")
        }
    }
}

/// numpy's `str()` of a 1-d float64 array, e.g. `[0.  0.5 1. ]`.
pub fn array_str(a: &[f64]) -> String {
    if a.is_empty() {
        return "[]".into();
    }
    // Arrays over the threshold show their ends around "...", and only
    // the values shown decide the format.
    let summarized = a.len() > THRESHOLD;
    let shown: Vec<f64> = if summarized {
        a[..EDGE_ITEMS]
            .iter()
            .chain(&a[a.len() - EDGE_ITEMS..])
            .copied()
            .collect()
    } else {
        a.to_vec()
    };
    let format = FloatFormat::new(&shown);
    let mut words: Vec<String> = shown.iter().map(|&x| format.format(x)).collect();
    if summarized {
        words.insert(EDGE_ITEMS, "...".into());
    }
    wrap(&words)
}

/// numpy's `_formatArray` for one axis: the words separated by one space,
/// a new line (indented by one space, under the first element) whenever a
/// word would reach past column 74, leaving room for the closing `]`.
fn wrap(words: &[String]) -> String {
    const INDENT: &str = " ";
    let width = LINE_WIDTH - 1;
    let mut out = String::new();
    let mut line = String::from(INDENT);
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        // A line holding only the indent takes the word however long.
        if line.len() + word.len() > width && line.len() > INDENT.len() {
            out.push_str(line.trim_end());
            out.push('\n');
            line = INDENT.to_string();
        }
        line.push_str(word);
    }
    out.push_str(&line);
    // The first line's indent is where the `[` goes.
    format!("[{}]", &out[INDENT.len()..])
}

/// numpy's `str()` of a 0-d float64 array (`np.array(6.0)` prints `6.0`):
/// the `str` of its scalar, which is Python's float `repr`.
pub fn scalar_str(x: f64) -> String {
    float_repr(x)
}

/// `np.linspace(start, stop, num)`: `num` values from `start` to `stop`
/// inclusive, computed as numpy does (`i * step + start`, the last value
/// set to `stop`), so that they print with numpy's digits.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num <= 1 {
        return vec![start; num];
    }
    let div = (num - 1) as f64;
    let delta = stop - start;
    let step = delta / div;
    let mut y: Vec<f64> = if step == 0.0 {
        (0..num).map(|i| i as f64 / div * delta + start).collect()
    } else {
        (0..num).map(|i| i as f64 * step + start).collect()
    };
    y[num - 1] = stop;
    y
}

/// Prints `text` and a newline in one `write`, so that a record of several
/// lines is not split by another rank's output.
pub fn say(text: &str) {
    let record = format!("{text}\n");
    std::io::stdout()
        .lock()
        .write_all(record.as_bytes())
        .expect("write to stdout");
}

/// Ends the job with status 1 and a message if it has fewer than `min`
/// ranks; returns the universe otherwise. Every rank sees the same size,
/// so every rank finalizes and exits alike.
pub fn require_ranks(universe: shmpi::Universe, min: i32, example: &str) -> shmpi::Universe {
    let world = universe.world();
    if world.size() >= min {
        return universe;
    }
    if world.rank() == 0 {
        eprintln!(
            "{example} needs at least {min} ranks, this job has {}: run it as `shmrun -n {min} target/release/examples/{example}`",
            world.size()
        );
    }
    drop(world);
    drop(universe);
    std::process::exit(1);
}

#[cfg(test)]
// 3.14 is the tutorial's value, not an approximation of pi.
#[allow(clippy::approx_constant)]
mod tests {
    //! Expected strings as numpy 2.4 (`str(array)`) and CPython 3
    //! (`repr`) print them. The formatter was also compared with numpy on
    //! some 15 000 random arrays and scalars (all scales, ties, nan/inf).
    use super::*;

    #[test]
    fn tutorial_arrays() {
        assert_eq!(
            array_str(&linspace(0.0, 3.14, 10)),
            "[0.         0.34888889 0.69777778 1.04666667 1.39555556 1.74444444\n \
             2.09333333 2.44222222 2.79111111 3.14      ]"
        );
        assert_eq!(
            array_str(&linspace(1.0, 10.0, 10)),
            "[ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10.]"
        );
        assert_eq!(
            array_str(&linspace(11.0, 20.0, 10)),
            "[11. 12. 13. 14. 15. 16. 17. 18. 19. 20.]"
        );
        assert_eq!(
            array_str(&linspace(1.0, 40.0, 40)),
            "[ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11. 12. 13. 14. 15. 16. 17. 18.\n \
             19. 20. 21. 22. 23. 24. 25. 26. 27. 28. 29. 30. 31. 32. 33. 34. 35. 36.\n \
             37. 38. 39. 40.]"
        );
        assert_eq!(
            array_str(&linspace(1.0, 80.0, 80)),
            "[ 1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11. 12. 13. 14. 15. 16. 17. 18.\n \
             19. 20. 21. 22. 23. 24. 25. 26. 27. 28. 29. 30. 31. 32. 33. 34. 35. 36.\n \
             37. 38. 39. 40. 41. 42. 43. 44. 45. 46. 47. 48. 49. 50. 51. 52. 53. 54.\n \
             55. 56. 57. 58. 59. 60. 61. 62. 63. 64. 65. 66. 67. 68. 69. 70. 71. 72.\n \
             73. 74. 75. 76. 77. 78. 79. 80.]"
        );
        assert_eq!(scalar_str(6.0), "6.0");
        assert_eq!(scalar_str(0.0), "0.0");
    }

    #[test]
    fn other_arrays() {
        let half: Vec<f64> = (0..10).map(|i| i as f64 * 0.5).collect();
        assert_eq!(
            array_str(&half),
            "[0.  0.5 1.  1.5 2.  2.5 3.  3.5 4.  4.5]"
        );
        assert_eq!(
            array_str(&linspace(-1.0, 1.0, 7)),
            "[-1.         -0.66666667 -0.33333333  0.          0.33333333  0.66666667\n  \
             1.        ]"
        );
        assert_eq!(array_str(&[-0.0, 1.0]), "[-0.  1.]");
        assert_eq!(array_str(&[]), "[]");
        assert_eq!(
            array_str(&[-1.5, 2.25, f64::NAN, f64::INFINITY]),
            "[-1.5   2.25   nan   inf]"
        );
        assert_eq!(array_str(&[f64::NAN, f64::NEG_INFINITY]), "[ nan -inf]");
    }

    #[test]
    fn scientific_arrays() {
        assert_eq!(array_str(&[1e-5, 1.0]), "[1.e-05 1.e+00]");
        assert_eq!(array_str(&[1.5e3, 1.0]), "[1.5e+03 1.0e+00]");
        assert_eq!(
            array_str(&[0.1, 1.0 / 3.0, 2e3]),
            "[1.00000000e-01 3.33333333e-01 2.00000000e+03]"
        );
        assert_eq!(array_str(&[1e8, -1.0]), "[ 1.e+08 -1.e+00]");
        assert_eq!(array_str(&[1e-300, 1e300]), "[1.e-300 1.e+300]");
    }

    #[test]
    fn long_arrays_are_summarized() {
        let quarters: Vec<f64> = (0..2000).map(|i| i as f64 * 0.25).collect();
        assert_eq!(
            array_str(&quarters),
            "[0.0000e+00 2.5000e-01 5.0000e-01 ... 4.9925e+02 4.9950e+02 4.9975e+02]"
        );
    }

    #[test]
    fn float_repr_is_pythons() {
        let cases = [
            (1e16, "1e+16"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123.0, "123.0"),
            (1.0 / 3.0, "0.3333333333333333"),
            (1e22, "1e+22"),
            (-0.0, "-0.0"),
            (2.5e-7, "2.5e-07"),
            (1234567890123456.7, "1234567890123456.8"),
            // Two shortest candidates (.12 and .13): the nearer, as CPython.
            (-180335759833507.12, "-180335759833507.12"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, want) in cases {
            assert_eq!(float_repr(x), want, "repr of {x:e}");
        }
    }

    #[test]
    fn value_repr_is_pythons() {
        let v = Value::dict([
            ("a", 7.into()),
            ("b", 3.14.into()),
            ("s", "it's".into()),
            ("t", Value::Tuple(vec![1.into()])),
            ("e", Value::Tuple(vec![])),
            ("n", Value::None),
            ("b2", Value::Bool(true)),
            ("q", "a\\b\n".into()),
        ]);
        assert_eq!(
            v.to_string(),
            r#"{'a': 7, 'b': 3.14, 's': "it's", 't': (1,), 'e': (), 'n': None, 'b2': True, 'q': 'a\\b\n'}"#
        );
    }

    #[test]
    fn values_survive_the_wire() {
        let v = Value::dict([
            ("key1", Value::List(vec![1.into(), 2.into(), 3.into()])),
            ("key2", Value::Tuple(vec!["abc".into(), "xyz".into()])),
        ]);
        let back: Value = shmpi::decode(&shmpi::encode(&v).unwrap()).unwrap();
        assert_eq!(back, v);
        assert_eq!(
            back.to_string(),
            "{'key1': [1, 2, 3], 'key2': ('abc', 'xyz')}"
        );
    }
}
