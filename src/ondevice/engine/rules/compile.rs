//! JSON-logic compiled once per artifact: operators resolved, constants kept, variable paths
//! split.

use serde_json::Value;

use super::Val;

/// A compiled JSON-logic expression.
#[derive(Clone, Debug)]
pub(crate) enum Expr {
    /// A literal (any JSON value that is not an operation or array).
    Literal(Value),
    /// An array whose elements are evaluated.
    Array(Vec<Expr>),
    /// `{"var": path}` with a path known at compile time.
    Var {
        path: VarPath,
        default: Option<Box<Expr>>,
    },
    /// `{"var": expr}` with a computed path.
    DynamicVar {
        path: Box<Expr>,
        default: Option<Box<Expr>>,
    },
    /// A comparison of a constant `var` (no default) and a literal scalar: the most common
    /// audience test, evaluated without a step per argument.
    Compare(Comparison),
    /// Any other operation.
    Op(Op, Vec<Expr>),
}

/// `var op literal`, or `literal op var` (the order written, `var_first`), with its literal
/// converted once.
#[derive(Clone, Debug)]
pub(crate) struct Comparison {
    pub(crate) op: Op,
    pub(crate) var: VarPath,
    pub(crate) literal: Val<'static>,
    pub(crate) var_first: bool,
}

/// The part of the rule context a path reads first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Root {
    /// `allocation`: the visitor's bucket for the rule's activity.
    Allocation,
    /// `mbox.*`: the item's parameters.
    Mbox,
    /// The request context (`page.*`, `user.*`, `geo.*`, the time...).
    Other,
}

impl Root {
    /// The root `path` (split on dots) reads.
    pub(crate) fn of(path: &[String]) -> Self {
        match path {
            [only] if only == "allocation" => Self::Allocation,
            [first, ..] if first == "mbox" => Self::Mbox,
            _ => Self::Other,
        }
    }
}

/// A variable path known at compile time: split on dots, its root found once, so evaluating
/// it compares no names to find its part of the context.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct VarPath {
    pub(crate) segments: Vec<String>,
    pub(crate) root: Root,
    /// For an `mbox.*` path, the parameter it names.
    pub(crate) param: Option<ParamName>,
}

impl VarPath {
    fn new(segments: Vec<String>) -> Self {
        let root = Root::of(&segments);
        let param = match root {
            Root::Mbox => ParamName::of(segments.get(1..).unwrap_or_default()),
            _ => None,
        };
        Self {
            segments,
            root,
            param,
        }
    }
}

/// The mbox parameter a path after `mbox.` names, worked out once: `favorite.color_lc` names
/// the parameter `favorite.color`, lower-cased. Kept in one piece beside the path, so finding
/// the parameter compares its length with the request's names before any text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ParamName {
    pub(crate) name: Box<str>,
    /// The path ends in `_lc`: the lower-cased value of a string parameter.
    pub(crate) lower: bool,
}

impl ParamName {
    /// The parameter `path` (the segments after `mbox`) names; `None` for the whole object.
    pub(crate) fn of(path: &[String]) -> Option<Self> {
        let (last, parents) = path.split_last()?;
        let (leaf, lower) = match last.strip_suffix("_lc") {
            Some(leaf) => (leaf, true),
            None => (last.as_str(), false),
        };
        let mut name =
            String::with_capacity(parents.iter().map(|p| p.len() + 1).sum::<usize>() + leaf.len());
        for parent in parents {
            name.push_str(parent);
            name.push('.');
        }
        name.push_str(leaf);
        Some(Self {
            name: name.into_boxed_str(),
            lower,
        })
    }
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
    /// Whether the operation compares its two values (it reads nothing else).
    fn compares(self) -> bool {
        matches!(
            self,
            Self::Eq
                | Self::StrictEq
                | Self::NotEq
                | Self::StrictNotEq
                | Self::Gt
                | Self::Ge
                | Self::Lt
                | Self::Le
                | Self::In
        )
    }

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
pub(super) const MAX_DEPTH: usize = 64;

/// Compiles a JSON-logic value. Unknown operations are an error (json-logic-js throws on them).
pub(crate) fn compile(logic: &Value) -> Result<Expr, String> {
    compile_at(logic, 0)
}

pub(super) fn compile_at(logic: &Value, depth: usize) -> Result<Expr, String> {
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
            Ok(operation(op, args))
        }
        _ => Ok(Expr::Literal(logic.clone())),
    }
}

/// `op` applied to `args`: a [`Expr::Compare`] when it compares a constant `var` and a
/// literal scalar.
fn operation(op: Op, args: Vec<Expr>) -> Expr {
    if !op.compares() {
        return Expr::Op(op, args);
    }
    let compare = |var: &VarPath, literal: &Value, var_first| {
        Some(Expr::Compare(Comparison {
            op,
            var: var.clone(),
            literal: Val::scalar(literal)?,
            var_first,
        }))
    };
    let compiled = match args.as_slice() {
        [
            Expr::Var {
                path,
                default: None,
            },
            Expr::Literal(literal),
        ] => compare(path, literal, true),
        [
            Expr::Literal(literal),
            Expr::Var {
                path,
                default: None,
            },
        ] => compare(path, literal, false),
        _ => None,
    };
    compiled.unwrap_or(Expr::Op(op, args))
}

pub(super) fn compile_var(mut args: Vec<Expr>) -> Expr {
    let default = (args.len() > 1).then(|| Box::new(args.swap_remove(1)));
    match args.into_iter().next() {
        None => Expr::Var {
            path: VarPath::new(Vec::new()),
            default,
        },
        Some(Expr::Literal(Value::String(path))) => Expr::Var {
            path: VarPath::new(split_path(&path)),
            default,
        },
        Some(Expr::Literal(Value::Number(n))) => Expr::Var {
            path: VarPath::new(vec![n.to_string()]),
            default,
        },
        Some(Expr::Literal(Value::Null)) => Expr::Var {
            path: VarPath::new(Vec::new()),
            default,
        },
        Some(other) => Expr::DynamicVar {
            path: Box::new(other),
            default,
        },
    }
}

pub(super) fn split_path(path: &str) -> Vec<String> {
    if path.is_empty() {
        Vec::new()
    } else {
        path.split('.').map(str::to_owned).collect()
    }
}
