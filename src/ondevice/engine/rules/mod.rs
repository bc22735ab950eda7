//! JSON-logic, compiled once per artifact and evaluated with the semantics of json-logic-js, the
//! evaluator every other Target SDK uses (JavaScript's loose equality, relational comparison and
//! truthiness).
//!
//! Why not a crate: the best maintained Rust JSON-logic crate (datalogic-rs 5) differs from
//! json-logic-js where Target rules go: it reports `null == 0` as true (JavaScript: false),
//! raises errors on `0 == ""` and `"a" > 1` (JavaScript: true and false) and treats `{}` as
//! false. A visitor without an mbox parameter would then qualify for an audience that requires
//! it to equal 0. `rules/tests.rs` pins the JavaScript behaviour operator by operator.

use std::borrow::Cow;

use serde_json::{Map, Value};

mod compile;
mod explain;
mod value;

use compile::Comparison;
use compile::split_path;
pub(crate) use compile::{Expr, Op, ParamName, Root, VarPath, compile};
pub use explain::FailedCondition;
pub(crate) use explain::{context_keys, failures};
use value::*;
pub(crate) use value::{Val, js_truthy};

/// Where `var` looks values up.
pub(crate) trait Data {
    /// The value at `path` (already split on dots), or `None` when it is missing.
    fn lookup(&self, path: &[String]) -> Option<Val<'_>>;

    /// The value of a compiled `var` (its root already known), or `None` when it is missing.
    fn lookup_var(&self, var: &VarPath) -> Option<Val<'_>> {
        self.lookup(&var.segments)
    }
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
#[cfg(test)]
pub(crate) fn evaluate<'a>(expr: &'a Expr, data: &'a dyn Data) -> Val<'a> {
    eval(expr, &Scope::Root, data)
}

/// Whether `expr` holds for `data`, with JavaScript truthiness (as `if (jsonLogic.apply(...))`).
pub(crate) fn matches(expr: &Expr, data: &dyn Data) -> bool {
    holds(expr, &Scope::Root, data)
}

/// `js_truthy(&eval(expr, ...))`, without the value where it is only tested: an `and` or `or`
/// answers as its deciding argument, a comparison as its result.
fn holds<'a>(expr: &'a Expr, scope: &Scope<'_, 'a>, root: &'a dyn Data) -> bool {
    match expr {
        Expr::Compare(comparison) => compared(comparison, scope, root),
        // The value of an `and` is its first argument that is not truthy, else its last.
        Expr::Op(Op::And, args) => match args.split_last() {
            None => false,
            Some((last, rest)) => {
                for arg in rest {
                    let (truthy, js_truthy) = truthiness(arg, scope, root);
                    if !truthy {
                        return js_truthy;
                    }
                }
                holds(last, scope, root)
            }
        },
        // An `or`: its first truthy argument (JavaScript-truthy too), else its last.
        Expr::Op(Op::Or, args) => match args.split_last() {
            None => false,
            Some((last, rest)) => {
                rest.iter().any(|arg| truthiness(arg, scope, root).0) || holds(last, scope, root)
            }
        },
        _ => js_truthy(&eval(expr, scope, root)),
    }
}

/// `expr`'s value's json-logic truthiness and JavaScript truthiness (which differ only for an
/// empty array); a comparison's bool is both, without a value.
fn truthiness<'a>(expr: &'a Expr, scope: &Scope<'_, 'a>, root: &'a dyn Data) -> (bool, bool) {
    match expr {
        Expr::Compare(comparison) => {
            let result = compared(comparison, scope, root);
            (result, result)
        }
        _ => {
            let value = eval(expr, scope, root);
            (truthy(&value), js_truthy(&value))
        }
    }
}

/// The result of a compiled comparison; a missing `var` compares as null.
fn compared<'a>(comparison: &Comparison, scope: &Scope<'_, 'a>, root: &'a dyn Data) -> bool {
    let Comparison {
        op,
        var,
        literal,
        var_first,
    } = comparison;
    let found = var_value(var, scope, root);
    let found = found.as_ref().unwrap_or(&NULL);
    if *var_first {
        compare(*op, found, literal)
    } else {
        compare(*op, literal, found)
    }
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
        Expr::Var { path, default } => or_default(
            var_value(path, scope, root),
            default.as_deref(),
            scope,
            root,
        ),
        Expr::DynamicVar { path, default } => {
            let path = match eval(path, scope, root) {
                Val::Null => Vec::new(),
                other => split_path(&js_string(&other)),
            };
            or_default(lookup(&path, scope, root), default.as_deref(), scope, root)
        }
        Expr::Compare(comparison) => Val::Bool(compared(comparison, scope, root)),
        Expr::Op(op, args) => apply(*op, args, scope, root),
    }
}

/// The value of a compiled `var` in `scope`, or `None` when it is missing.
fn var_value<'a>(var: &VarPath, scope: &Scope<'_, 'a>, root: &'a dyn Data) -> Option<Val<'a>> {
    match scope {
        Scope::Root => root.lookup_var(var),
        Scope::Item(item) => lookup_val(item, &var.segments),
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

/// A `var`'s value: what was `found`, else its `default` evaluated, else null.
fn or_default<'a>(
    found: Option<Val<'a>>,
    default: Option<&'a Expr>,
    scope: &Scope<'_, 'a>,
    root: &'a dyn Data,
) -> Val<'a> {
    found.unwrap_or_else(|| default.map_or(Val::Null, |d| eval(d, scope, root)))
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
            // Most operations take two or three arguments: keep them off the heap.
            if let [a, b] = args {
                strict_op(
                    op,
                    &[eval(a, scope, root), eval(b, scope, root)],
                    scope,
                    root,
                )
            } else if args.len() <= 3 {
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
        Op::Lt if values.len() > 2 => Val::Bool(lt(get(0), get(1)) && lt(get(1), get(2))),
        Op::Le if values.len() > 2 => Val::Bool(le(get(0), get(1)) && le(get(1), get(2))),
        Op::Eq
        | Op::NotEq
        | Op::StrictEq
        | Op::StrictNotEq
        | Op::Gt
        | Op::Ge
        | Op::Lt
        | Op::Le
        | Op::In => Val::Bool(compare(op, get(0), get(1))),
        Op::Not => Val::Bool(!truthy(get(0))),
        Op::NotNot => Val::Bool(truthy(get(0))),
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

/// A two-value comparison (`Op::compares`): `a op b`.
fn compare(op: Op, a: &Val<'_>, b: &Val<'_>) -> bool {
    match op {
        Op::Eq => loose_eq(a, b),
        Op::NotEq => !loose_eq(a, b),
        Op::StrictEq => strict_eq(a, b),
        Op::StrictNotEq => !strict_eq(a, b),
        Op::Gt => lt(b, a),
        Op::Ge => le(b, a),
        Op::Lt => lt(a, b),
        Op::Le => le(a, b),
        Op::In => match b {
            Val::Str(haystack) => haystack.contains(js_string(a).as_str()),
            list if list.is_array() => list
                .items()
                .unwrap_or_default()
                .iter()
                .any(|item| strict_eq(item, a)),
            _ => false,
        },
        _ => false,
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
mod tests;
