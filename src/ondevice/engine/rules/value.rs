//! Values during evaluation and JavaScript's coercions: truthiness, `ToNumber`, `ToString`,
//! loose and strict equality, relational comparison.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
    /// An array or object borrowed from the data or the rule.
    Json(&'a Value),
    /// A computed array.
    List(Vec<Val<'a>>),
}

impl<'a> Val<'a> {
    pub(crate) fn from_json(value: &'a Value) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(*b),
            Value::Number(n) => Self::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Self::Str(Cow::Borrowed(s)),
            Value::Array(_) | Value::Object(_) => Self::Json(value),
        }
    }

    /// A JSON scalar as a value that borrows nothing; `None` for an array or object.
    pub(crate) fn scalar(value: &Value) -> Option<Val<'static>> {
        Some(match Val::from_json(value) {
            Val::Null => Val::Null,
            Val::Bool(b) => Val::Bool(b),
            Val::Num(n) => Val::Num(n),
            Val::Str(s) => Val::Str(Cow::Owned(s.into_owned())),
            Val::Json(_) | Val::List(_) => return None,
        })
    }

    /// The value as JSON (NaN and infinities become null, as `JSON.stringify` does).
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::Bool(*b),
            Self::Num(n) => number_to_json(*n),
            Self::Str(s) => Value::String(s.to_string()),
            Self::Json(v) => (*v).clone(),
            Self::List(items) => Value::Array(items.iter().map(Val::to_json).collect()),
        }
    }

    pub(super) fn items(&self) -> Option<Vec<Val<'a>>> {
        match self {
            Self::Json(Value::Array(items)) => Some(items.iter().map(Val::from_json).collect()),
            Self::List(items) => Some(items.clone()),
            _ => None,
        }
    }

    pub(super) fn is_array(&self) -> bool {
        matches!(self, Self::Json(Value::Array(_)) | Self::List(_))
    }
}

pub(super) fn number_to_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        // Exact: the integer is within f64's contiguous range.
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// JavaScript truthiness (`!!value`): false for false, 0, NaN, "", null; true for every array
/// and object.
pub(crate) fn js_truthy(value: &Val<'_>) -> bool {
    match value {
        Val::Null => false,
        Val::Bool(b) => *b,
        Val::Num(n) => *n != 0.0 && !n.is_nan(),
        Val::Str(s) => !s.is_empty(),
        Val::Json(_) | Val::List(_) => true,
    }
}

/// json-logic-js truthiness: JavaScript's, except that an empty array is false.
pub(super) fn truthy(value: &Val<'_>) -> bool {
    match value {
        Val::Json(Value::Array(items)) => !items.is_empty(),
        Val::List(items) => !items.is_empty(),
        other => js_truthy(other),
    }
}

/// `String(value)` in JavaScript.
pub(super) fn js_string(value: &Val<'_>) -> String {
    match value {
        Val::Null => "null".to_owned(),
        Val::Bool(b) => b.to_string(),
        Val::Num(n) => js_number_string(*n),
        Val::Str(s) => s.to_string(),
        Val::Json(Value::Object(_)) => "[object Object]".to_owned(),
        Val::Json(_) | Val::List(_) => join(value, ","),
    }
}

/// `Array.prototype.join`: null elements become empty strings.
pub(super) fn join(array: &Val<'_>, separator: &str) -> String {
    array
        .items()
        .unwrap_or_default()
        .iter()
        .map(|item| match item {
            Val::Null => String::new(),
            other => js_string(other),
        })
        .collect::<Vec<_>>()
        .join(separator)
}

/// How JavaScript prints a number.
pub(super) fn js_number_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_owned()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

/// `Number(text)` in JavaScript.
pub(super) fn string_to_number(text: &str) -> f64 {
    let t = text.trim();
    if t.is_empty() {
        return 0.0;
    }
    let (sign, body) = match t.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    if body == "Infinity" {
        return sign * f64::INFINITY;
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = t.strip_prefix(prefix) {
            return u64::from_str_radix(digits, radix).map_or(f64::NAN, |v| v as f64);
        }
    }
    let decimal = !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.');
    if decimal {
        body.parse::<f64>().map_or(f64::NAN, |v| sign * v)
    } else {
        f64::NAN
    }
}

/// `parseFloat(String(value))`: the longest decimal prefix, NaN when there is none.
pub(super) fn parse_float(value: &Val<'_>) -> f64 {
    if let Val::Num(n) = value {
        return *n;
    }
    let text = js_string(value);
    let t = text.trim_start();
    if let Some(rest) = t
        .strip_prefix("Infinity")
        .or_else(|| t.strip_prefix("+Infinity"))
    {
        let _ = rest;
        return f64::INFINITY;
    }
    if t.starts_with("-Infinity") {
        return f64::NEG_INFINITY;
    }
    let mut end = 0;
    let bytes = t.as_bytes();
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut seen_exp = false;
    while let Some(&c) = bytes.get(end) {
        let previous = end.checked_sub(1).and_then(|p| bytes.get(p));
        let ok = match c {
            b'0'..=b'9' => {
                seen_digit = true;
                true
            }
            b'+' | b'-' => matches!(previous, None | Some(b'e' | b'E')),
            b'.' if !seen_dot && !seen_exp => {
                seen_dot = true;
                true
            }
            b'e' | b'E' if seen_digit && !seen_exp => {
                seen_exp = true;
                true
            }
            _ => false,
        };
        if !ok {
            break;
        }
        end += 1;
    }
    // Back off an incomplete exponent or sign.
    let mut candidate = &t[..end];
    while !candidate.is_empty() && candidate.parse::<f64>().is_err() {
        candidate = &candidate[..candidate.len() - 1];
    }
    candidate.parse::<f64>().unwrap_or(f64::NAN)
}

/// `Number(value)` in JavaScript.
pub(super) fn to_number(value: &Val<'_>) -> f64 {
    match value {
        Val::Null => 0.0,
        Val::Bool(b) => f64::from(u8::from(*b)),
        Val::Num(n) => *n,
        Val::Str(s) => string_to_number(s),
        Val::Json(Value::Object(_)) => f64::NAN,
        Val::Json(_) | Val::List(_) => string_to_number(&js_string(value)),
    }
}

/// `ToPrimitive`: arrays and objects become their string form.
pub(super) fn to_primitive<'a>(value: &Val<'a>) -> Val<'a> {
    match value {
        Val::Json(_) | Val::List(_) => Val::Str(Cow::Owned(js_string(value))),
        other => other.clone(),
    }
}

/// JavaScript's `==`.
pub(super) fn loose_eq(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Null, _) | (_, Val::Null) => false,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Bool(x), other) => loose_eq(&Val::Num(f64::from(u8::from(*x))), other),
        (other, Val::Bool(y)) => loose_eq(other, &Val::Num(f64::from(u8::from(*y)))),
        (Val::Num(x), Val::Str(s)) | (Val::Str(s), Val::Num(x)) => *x == string_to_number(s),
        (Val::Json(x), Val::Json(y)) => std::ptr::eq(*x, *y),
        (Val::Json(_) | Val::List(_), Val::Json(_) | Val::List(_)) => false,
        (object @ (Val::Json(_) | Val::List(_)), primitive)
        | (primitive, object @ (Val::Json(_) | Val::List(_))) => {
            loose_eq(&to_primitive(object), primitive)
        }
    }
}

/// JavaScript's `===`.
pub(super) fn strict_eq(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Json(x), Val::Json(y)) => std::ptr::eq(*x, *y),
        _ => false,
    }
}

/// JavaScript's `a < b`: `None` when the comparison is undefined (a NaN is involved).
pub(super) fn less_than(a: &Val<'_>, b: &Val<'_>) -> Option<bool> {
    // Two numbers (an allocation against its bounds) are already primitives and numbers.
    if let (Val::Num(x), Val::Num(y)) = (a, b) {
        return (!x.is_nan() && !y.is_nan()).then_some(x < y);
    }
    let (pa, pb) = (to_primitive(a), to_primitive(b));
    if let (Val::Str(x), Val::Str(y)) = (&pa, &pb) {
        return Some(x.encode_utf16().cmp(y.encode_utf16()) == Ordering::Less);
    }
    let (x, y) = (to_number(&pa), to_number(&pb));
    if x.is_nan() || y.is_nan() {
        None
    } else {
        Some(x < y)
    }
}

pub(super) fn lt(a: &Val<'_>, b: &Val<'_>) -> bool {
    less_than(a, b).unwrap_or(false)
}

/// `a <= b` is `!(b < a)`, false when undefined.
pub(super) fn le(a: &Val<'_>, b: &Val<'_>) -> bool {
    less_than(b, a).is_some_and(|greater| !greater)
}
