//! JSON-logic, compiled once per artifact and evaluated with the semantics of json-logic-js, the
//! evaluator every other Target SDK uses (JavaScript's loose equality, relational comparison and
//! truthiness).
//!
//! Why not a crate: the best maintained Rust JSON-logic crate (datalogic-rs 5) differs from
//! json-logic-js where Target rules go: it reports `null == 0` as true (JavaScript: false),
//! raises errors on `0 == ""` and `"a" > 1` (JavaScript: true and false) and treats `{}` as
//! false. A visitor without an mbox parameter would then qualify for an audience that requires
//! it to equal 0. `tests/json_logic.rs` pins the JavaScript behaviour operator by operator.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Value};

/// A compiled JSON-logic expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    /// A literal (any JSON value that is not an operation or array).
    Literal(Value),
    /// An array whose elements are evaluated.
    Array(Vec<Expr>),
    /// `{"var": path}` with a path known at compile time, split on dots.
    Var {
        path: Vec<String>,
        default: Option<Box<Expr>>,
    },
    /// `{"var": expr}` with a computed path.
    DynamicVar {
        path: Box<Expr>,
        default: Option<Box<Expr>>,
    },
    /// Any other operation.
    Op(Op, Vec<Expr>),
}

/// The operations of json-logic-js (all but `method`, which calls JavaScript methods).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    StrictEq,
    NotEq,
    StrictNotEq,
    Gt,
    Ge,
    Lt,
    Le,
    Not,
    NotNot,
    And,
    Or,
    If,
    In,
    Cat,
    Substr,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Min,
    Max,
    Merge,
    Missing,
    MissingSome,
    Log,
    Map,
    Filter,
    Reduce,
    All,
    None,
    Some,
}

impl Op {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "==" => Self::Eq,
            "===" => Self::StrictEq,
            "!=" => Self::NotEq,
            "!==" => Self::StrictNotEq,
            ">" => Self::Gt,
            ">=" => Self::Ge,
            "<" => Self::Lt,
            "<=" => Self::Le,
            "!" => Self::Not,
            "!!" => Self::NotNot,
            "and" => Self::And,
            "or" => Self::Or,
            "if" | "?:" => Self::If,
            "in" => Self::In,
            "cat" => Self::Cat,
            "substr" => Self::Substr,
            "+" => Self::Add,
            "-" => Self::Sub,
            "*" => Self::Mul,
            "/" => Self::Div,
            "%" => Self::Mod,
            "min" => Self::Min,
            "max" => Self::Max,
            "merge" => Self::Merge,
            "missing" => Self::Missing,
            "missing_some" => Self::MissingSome,
            "log" => Self::Log,
            "map" => Self::Map,
            "filter" => Self::Filter,
            "reduce" => Self::Reduce,
            "all" => Self::All,
            "none" => Self::None,
            "some" => Self::Some,
            _ => return None,
        })
    }
}

/// Nesting deeper than this is refused at compile time, so evaluation cannot overflow the stack.
const MAX_DEPTH: usize = 64;

/// Compiles a JSON-logic value. Unknown operations are an error (json-logic-js throws on them).
pub(crate) fn compile(logic: &Value) -> Result<Expr, String> {
    compile_at(logic, 0)
}

fn compile_at(logic: &Value, depth: usize) -> Result<Expr, String> {
    if depth > MAX_DEPTH {
        return Err(format!("the rule is nested deeper than {MAX_DEPTH} levels"));
    }
    match logic {
        Value::Array(items) => Ok(Expr::Array(
            items
                .iter()
                .map(|item| compile_at(item, depth + 1))
                .collect::<Result<_, _>>()?,
        )),
        Value::Object(map) if map.len() == 1 => {
            let Some((name, args)) = map.iter().next() else {
                return Ok(Expr::Literal(logic.clone()));
            };
            let args: Vec<Expr> = match args {
                Value::Array(items) => items
                    .iter()
                    .map(|item| compile_at(item, depth + 1))
                    .collect::<Result<_, _>>()?,
                single => vec![compile_at(single, depth + 1)?],
            };
            if name == "var" {
                return Ok(compile_var(args));
            }
            let op = Op::from_name(name).ok_or_else(|| format!("Unrecognized operation {name}"))?;
            Ok(Expr::Op(op, args))
        }
        _ => Ok(Expr::Literal(logic.clone())),
    }
}

fn compile_var(mut args: Vec<Expr>) -> Expr {
    let default = (args.len() > 1).then(|| Box::new(args.swap_remove(1)));
    match args.into_iter().next() {
        None => Expr::Var {
            path: Vec::new(),
            default,
        },
        Some(Expr::Literal(Value::String(path))) => Expr::Var {
            path: split_path(&path),
            default,
        },
        Some(Expr::Literal(Value::Number(n))) => Expr::Var {
            path: vec![n.to_string()],
            default,
        },
        Some(Expr::Literal(Value::Null)) => Expr::Var {
            path: Vec::new(),
            default,
        },
        Some(other) => Expr::DynamicVar {
            path: Box::new(other),
            default,
        },
    }
}

fn split_path(path: &str) -> Vec<String> {
    if path.is_empty() {
        Vec::new()
    } else {
        path.split('.').map(str::to_owned).collect()
    }
}

/// Where `var` looks values up.
pub(crate) trait Data {
    /// The value at `path` (already split on dots), or `None` when it is missing.
    fn lookup(&self, path: &[String]) -> Option<Val<'_>>;
}

impl Data for Value {
    fn lookup(&self, path: &[String]) -> Option<Val<'_>> {
        walk(self, path).map(Val::from_json)
    }
}

/// Follows `path` through objects and arrays, as json-logic-js does.
pub(crate) fn walk<'a>(mut value: &'a Value, path: &[String]) -> Option<&'a Value> {
    for segment in path {
        value = match value {
            Value::Object(map) => map.get(segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// A value during evaluation: JSON borrowed from the data or the rule, or computed.
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

    fn items(&self) -> Option<Vec<Val<'a>>> {
        match self {
            Self::Json(Value::Array(items)) => Some(items.iter().map(Val::from_json).collect()),
            Self::List(items) => Some(items.clone()),
            _ => None,
        }
    }

    fn is_array(&self) -> bool {
        matches!(self, Self::Json(Value::Array(_)) | Self::List(_))
    }
}

fn number_to_json(n: f64) -> Value {
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
fn truthy(value: &Val<'_>) -> bool {
    match value {
        Val::Json(Value::Array(items)) => !items.is_empty(),
        Val::List(items) => !items.is_empty(),
        other => js_truthy(other),
    }
}

/// `String(value)` in JavaScript.
fn js_string(value: &Val<'_>) -> String {
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
fn join(array: &Val<'_>, separator: &str) -> String {
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
fn js_number_string(n: f64) -> String {
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
fn string_to_number(text: &str) -> f64 {
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
fn parse_float(value: &Val<'_>) -> f64 {
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
fn to_number(value: &Val<'_>) -> f64 {
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
fn to_primitive<'a>(value: &Val<'a>) -> Val<'a> {
    match value {
        Val::Json(_) | Val::List(_) => Val::Str(Cow::Owned(js_string(value))),
        other => other.clone(),
    }
}

/// JavaScript's `==`.
fn loose_eq(a: &Val<'_>, b: &Val<'_>) -> bool {
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
fn strict_eq(a: &Val<'_>, b: &Val<'_>) -> bool {
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
fn less_than(a: &Val<'_>, b: &Val<'_>) -> Option<bool> {
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

fn lt(a: &Val<'_>, b: &Val<'_>) -> bool {
    less_than(a, b).unwrap_or(false)
}

/// `a <= b` is `!(b < a)`, false when undefined.
fn le(a: &Val<'_>, b: &Val<'_>) -> bool {
    less_than(b, a).is_some_and(|greater| !greater)
}

/// Evaluation's view of the data: the root, or an array element inside map/filter/...
enum Scope<'s, 'a> {
    Root,
    Item(&'s Val<'a>),
}

fn lookup_val<'a>(value: &Val<'a>, path: &[String]) -> Option<Val<'a>> {
    let Some((first, rest)) = path.split_first() else {
        return Some(value.clone());
    };
    match value {
        Val::Json(json) => walk(json, path).map(Val::from_json),
        Val::List(items) => lookup_val(items.get(first.parse::<usize>().ok()?)?, rest),
        _ => None,
    }
}

/// Evaluates `expr` against `data`.
pub(crate) fn evaluate<'a>(expr: &'a Expr, data: &'a dyn Data) -> Val<'a> {
    eval(expr, &Scope::Root, data)
}

/// Whether `expr` holds for `data`, with JavaScript truthiness (as `if (jsonLogic.apply(...))`).
pub(crate) fn matches(expr: &Expr, data: &dyn Data) -> bool {
    js_truthy(&evaluate(expr, data))
}

fn lookup<'a>(path: &[String], scope: &Scope<'_, 'a>, root: &'a dyn Data) -> Option<Val<'a>> {
    match scope {
        Scope::Root => root.lookup(path),
        Scope::Item(item) => lookup_val(item, path),
    }
}

fn eval<'a>(expr: &'a Expr, scope: &Scope<'_, 'a>, root: &'a dyn Data) -> Val<'a> {
    match expr {
        Expr::Literal(value) => Val::from_json(value),
        Expr::Array(items) => Val::List(items.iter().map(|item| eval(item, scope, root)).collect()),
        Expr::Var { path, default } => resolve(path, default.as_deref(), scope, root),
        Expr::DynamicVar { path, default } => {
            let path = match eval(path, scope, root) {
                Val::Null => Vec::new(),
                other => split_path(&js_string(&other)),
            };
            resolve(&path, default.as_deref(), scope, root)
        }
        Expr::Op(op, args) => apply(*op, args, scope, root),
    }
}

/// A copy of `value` that borrows nothing from the data it was found in.
fn own<'b>(value: &Val<'_>) -> Val<'b> {
    match value {
        Val::Null => Val::Null,
        Val::Bool(b) => Val::Bool(*b),
        Val::Num(n) => Val::Num(*n),
        Val::Str(s) => Val::Str(Cow::Owned(s.to_string())),
        Val::Json(v) => Val::List(match v {
            Value::Array(items) => items.iter().map(|i| own(&Val::from_json(i))).collect(),
            // Objects found through a computed path are rare; they compare as "[object Object]".
            _ => return Val::Str(Cow::Owned("[object Object]".to_owned())),
        }),
        Val::List(items) => Val::List(items.iter().map(own).collect()),
    }
}

fn resolve<'a>(
    path: &[String],
    default: Option<&'a Expr>,
    scope: &Scope<'_, 'a>,
    root: &'a dyn Data,
) -> Val<'a> {
    match lookup(path, scope, root) {
        Some(value) => value,
        None => default.map_or(Val::Null, |d| eval(d, scope, root)),
    }
}

fn apply<'a>(op: Op, args: &'a [Expr], scope: &Scope<'_, 'a>, root: &'a dyn Data) -> Val<'a> {
    match op {
        Op::And => {
            let mut last = Val::Null;
            for expr in args {
                last = eval(expr, scope, root);
                if !truthy(&last) {
                    return last;
                }
            }
            last
        }
        Op::Or => {
            let mut last = Val::Null;
            for expr in args {
                last = eval(expr, scope, root);
                if truthy(&last) {
                    return last;
                }
            }
            last
        }
        Op::If => {
            // (condition, then) pairs, then an optional `else`.
            let mut pairs = args.chunks_exact(2);
            for pair in &mut pairs {
                if let [condition, then] = pair
                    && truthy(&eval(condition, scope, root))
                {
                    return eval(then, scope, root);
                }
            }
            match pairs.remainder() {
                [otherwise] => eval(otherwise, scope, root),
                _ => Val::Null,
            }
        }
        Op::Map | Op::Filter | Op::All | Op::None | Op::Some | Op::Reduce => {
            iterate(op, args, scope, root)
        }
        _ => {
            // Most operations take at most three arguments: keep them off the heap.
            if args.len() <= 3 {
                let mut values = [Val::Null, Val::Null, Val::Null];
                for (slot, expr) in values.iter_mut().zip(args) {
                    *slot = eval(expr, scope, root);
                }
                let given = values.get(..args.len()).unwrap_or_default();
                strict_op(op, given, scope, root)
            } else {
                let values: Vec<Val<'a>> = args.iter().map(|e| eval(e, scope, root)).collect();
                strict_op(op, &values, scope, root)
            }
        }
    }
}

fn iterate<'a>(op: Op, args: &'a [Expr], scope: &Scope<'_, 'a>, root: &'a dyn Data) -> Val<'a> {
    let items = args
        .first()
        .map(|e| eval(e, scope, root))
        .and_then(|v| v.items());
    let logic = args.get(1);
    let Some(items) = items else {
        return match op {
            Op::Map | Op::Filter => Val::List(Vec::new()),
            Op::Reduce => args.get(2).map_or(Val::Null, |e| eval(e, scope, root)),
            Op::Some | Op::All => Val::Bool(false),
            _ => Val::Bool(true),
        };
    };
    let test = |item: &Val<'a>| -> Val<'a> {
        logic.map_or(Val::Null, |l| eval(l, &Scope::Item(item), root))
    };
    match op {
        Op::Map => Val::List(items.iter().map(test).collect()),
        Op::Filter => Val::List(items.into_iter().filter(|i| truthy(&test(i))).collect()),
        Op::All => Val::Bool(!items.is_empty() && items.iter().all(|i| truthy(&test(i)))),
        Op::Some => Val::Bool(items.iter().any(|i| truthy(&test(i)))),
        Op::None => Val::Bool(!items.iter().any(|i| truthy(&test(i)))),
        _ => {
            let mut accumulator = args.get(2).map_or(Val::Null, |e| eval(e, scope, root));
            for current in &items {
                let mut frame = Map::new();
                frame.insert("current".to_owned(), current.to_json());
                frame.insert("accumulator".to_owned(), accumulator.to_json());
                let frame = Value::Object(frame);
                accumulator = logic.map_or(Val::Null, |l| {
                    own(&eval(l, &Scope::Item(&Val::Json(&frame)), root))
                });
            }
            accumulator
        }
    }
}

const NULL: Val<'static> = Val::Null;

/// `min` / `max` as json-logic-js computes them: `start` for no values, NaN once any is NaN.
fn extreme(values: &[Val<'_>], start: f64, pick: fn(f64, f64) -> f64) -> f64 {
    values.iter().map(to_number).fold(start, |acc, v| {
        if acc.is_nan() || v.is_nan() {
            f64::NAN
        } else {
            pick(acc, v)
        }
    })
}

fn strict_op<'a>(op: Op, values: &[Val<'a>], scope: &Scope<'_, 'a>, root: &'a dyn Data) -> Val<'a> {
    let get = |i: usize| values.get(i).unwrap_or(&NULL);
    let n = |i: usize| to_number(get(i));
    match op {
        Op::Eq => Val::Bool(loose_eq(get(0), get(1))),
        Op::NotEq => Val::Bool(!loose_eq(get(0), get(1))),
        Op::StrictEq => Val::Bool(strict_eq(get(0), get(1))),
        Op::StrictNotEq => Val::Bool(!strict_eq(get(0), get(1))),
        Op::Gt => Val::Bool(lt(get(1), get(0))),
        Op::Ge => Val::Bool(le(get(1), get(0))),
        Op::Lt => Val::Bool(if values.len() > 2 {
            lt(get(0), get(1)) && lt(get(1), get(2))
        } else {
            lt(get(0), get(1))
        }),
        Op::Le => Val::Bool(if values.len() > 2 {
            le(get(0), get(1)) && le(get(1), get(2))
        } else {
            le(get(0), get(1))
        }),
        Op::Not => Val::Bool(!truthy(get(0))),
        Op::NotNot => Val::Bool(truthy(get(0))),
        Op::In => {
            let needle = get(0);
            match get(1) {
                Val::Str(haystack) => Val::Bool(haystack.contains(js_string(needle).as_str())),
                list if list.is_array() => Val::Bool(
                    list.items()
                        .unwrap_or_default()
                        .iter()
                        .any(|item| strict_eq(item, needle)),
                ),
                _ => Val::Bool(false),
            }
        }
        Op::Cat => Val::Str(Cow::Owned(join(&Val::List(values.to_vec()), ""))),
        Op::Substr => substr(get(0), values.get(1), values.get(2)),
        Op::Add => Val::Num(values.iter().map(parse_float).sum()),
        Op::Mul => match values.len() {
            0 => Val::Null,
            1 => get(0).clone(),
            _ => Val::Num(values.iter().map(parse_float).product()),
        },
        Op::Sub => {
            if values.len() < 2 {
                Val::Num(-n(0))
            } else {
                Val::Num(n(0) - n(1))
            }
        }
        Op::Div => Val::Num(n(0) / n(1)),
        Op::Mod => Val::Num(n(0) % n(1)),
        Op::Min => Val::Num(extreme(values, f64::INFINITY, f64::min)),
        Op::Max => Val::Num(extreme(values, f64::NEG_INFINITY, f64::max)),
        Op::Merge => Val::List(
            values
                .iter()
                .flat_map(|v| v.items().unwrap_or_else(|| vec![v.clone()]))
                .collect(),
        ),
        Op::Missing => Val::List(missing(values, scope, root)),
        Op::MissingSome => {
            let need = n(0);
            let options = get(1).items().unwrap_or_default();
            let missing = missing(&options, scope, root);
            if (options.len() - missing.len()) as f64 >= need {
                Val::List(Vec::new())
            } else {
                Val::List(missing)
            }
        }
        Op::Log => get(0).clone(),
        Op::And
        | Op::Or
        | Op::If
        | Op::Map
        | Op::Filter
        | Op::Reduce
        | Op::All
        | Op::None
        | Op::Some => Val::Null,
    }
}

/// The keys (given as arguments, or as one array argument) whose value is null, "" or missing.
fn missing<'a>(keys: &[Val<'a>], scope: &Scope<'_, 'a>, root: &'a dyn Data) -> Vec<Val<'a>> {
    let keys: Vec<Val<'a>> = match keys.first() {
        Some(first) if first.is_array() => first.items().unwrap_or_default(),
        _ => keys.to_vec(),
    };
    keys.into_iter()
        .filter(|key| {
            let path = split_path(&js_string(key));
            match lookup(&path, scope, root) {
                None | Some(Val::Null) => true,
                Some(Val::Str(s)) => s.is_empty(),
                Some(_) => false,
            }
        })
        .collect()
}

/// `String(source).substr(start, length)`, negative length counting from the end, in UTF-16
/// code units as JavaScript does.
fn substr<'a>(source: &Val<'_>, start: Option<&Val<'_>>, length: Option<&Val<'_>>) -> Val<'a> {
    let units: Vec<u16> = js_string(source).encode_utf16().collect();
    let len = units.len() as i64;
    let start = start.map_or(0.0, to_number);
    let start = if start.is_nan() { 0 } else { start as i64 };
    let from = if start < 0 {
        (len + start).max(0)
    } else {
        start.min(len)
    };
    let rest = units.get(from as usize..).unwrap_or_default();
    let count = match length.map(to_number) {
        None => rest.len() as i64,
        Some(l) if l.is_nan() => 0,
        Some(l) if l < 0.0 => rest.len() as i64 + l as i64,
        Some(l) => l as i64,
    };
    let taken = rest
        .get(..count.clamp(0, rest.len() as i64) as usize)
        .unwrap_or_default();
    Val::Str(Cow::Owned(String::from_utf16_lossy(taken)))
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
