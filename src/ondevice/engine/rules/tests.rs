//! json-logic-js behaviour, operator by operator. Each expectation is what json-logic-js 2.x
//! returns in Node.js for the same rule and data; several are the cases where a generic
//! JSON-logic crate answers differently.

use serde_json::{Value, json};

use super::{Expr, compile, evaluate, matches};

fn eval(logic: Value, data: Value) -> Value {
    let expr = compile(&logic).unwrap_or_else(|e| panic!("{logic}: {e}"));
    evaluate(&expr, &data).to_json()
}

#[test]
fn loose_equality_is_javascripts() {
    let cases = [
        (
            json!({"==": [{"var": "day"}, "5"]}),
            json!({"day": 5}),
            true,
        ),
        (json!({"==": [1, true]}), json!({}), true),
        (json!({"==": [0, ""]}), json!({}), true),
        (json!({"==": [null, 0]}), json!({}), false),
        (json!({"==": [{"var": "missing"}, 0]}), json!({}), false),
        (json!({"==": [{"var": "missing"}, null]}), json!({}), true),
        (json!({"==": [[1], 1]}), json!({}), true),
        (json!({"==": [[1, 2], "1,2"]}), json!({}), true),
        (json!({"==": ["abc", "ABC"]}), json!({}), false),
        (json!({"==": [" 12 ", 12]}), json!({}), true),
        (json!({"==": ["0x10", 16]}), json!({}), true),
        (json!({"==": ["1e3", 1000]}), json!({}), true),
        (json!({"==": ["12px", 12]}), json!({}), false),
        (json!({"!=": [1, "1"]}), json!({}), false),
        (json!({"===": [1, "1"]}), json!({}), false),
        (json!({"===": ["a", "a"]}), json!({}), true),
        (json!({"!==": [null, null]}), json!({}), false),
    ];
    for (logic, data, expected) in cases {
        assert_eq!(eval(logic.clone(), data), json!(expected), "{logic}");
    }
}

#[test]
fn comparisons_are_javascripts() {
    let cases = [
        (
            json!({"<=": ["0000", {"var": "t"}, "2359"]}),
            json!({"t": "0105"}),
            true,
        ),
        (
            json!({"<=": ["0000", {"var": "t"}, "0100"]}),
            json!({"t": "0105"}),
            false,
        ),
        (json!({"<": ["10", "9"]}), json!({}), true),
        (json!({"<": [10, "9"]}), json!({}), false),
        (json!({"<": [1, 2, 3]}), json!({}), true),
        (json!({"<": [1, 1, 3]}), json!({}), false),
        (json!({"<=": [1, 1, 3]}), json!({}), true),
        (json!({">": ["a", 1]}), json!({}), false),
        (json!({"<=": ["a", 1]}), json!({}), false),
        (json!({">=": [50, {"var": "a"}]}), json!({"a": 49.99}), true),
        (json!({"<": [{"var": "x"}, 5]}), json!({"x": null}), true),
        (json!({"<": [{"var": "x"}, 5]}), json!({}), true),
        (json!({">": [2, 1]}), json!({}), true),
        (json!({">=": [1, 1]}), json!({}), true),
        (
            json!({"<=": [1613034000000_i64, {"var": "ts"}, 1613239200000_i64]}),
            json!({"ts": 1613070000000_i64}),
            true,
        ),
    ];
    for (logic, data, expected) in cases {
        assert_eq!(eval(logic.clone(), data), json!(expected), "{logic}");
    }
}

#[test]
fn logic_and_truthiness() {
    assert_eq!(eval(json!({"and": [true, "a", 3]}), json!({})), json!(3));
    assert_eq!(eval(json!({"and": [true, "", 3]}), json!({})), json!(""));
    assert_eq!(eval(json!({"or": [false, 0, "x"]}), json!({})), json!("x"));
    assert_eq!(eval(json!({"or": [false, 0]}), json!({})), json!(0));
    assert_eq!(eval(json!({"and": []}), json!({})), json!(null));
    assert_eq!(eval(json!({"!": [[]]}), json!({})), json!(true));
    assert_eq!(eval(json!({"!": ["0"]}), json!({})), json!(false));
    assert_eq!(
        eval(json!({"!": {}}), json!({})),
        json!(false),
        "{{}} is truthy"
    );
    assert_eq!(eval(json!({"!!": [[]]}), json!({})), json!(false));
    assert_eq!(eval(json!({"!!": ["0"]}), json!({})), json!(true));
    assert_eq!(
        eval(json!({"if": [false, 1, true, 2, 3]}), json!({})),
        json!(2)
    );
    assert_eq!(eval(json!({"if": [false, 1, 3]}), json!({})), json!(3));
    assert_eq!(eval(json!({"if": [false, 1]}), json!({})), json!(null));
    assert_eq!(eval(json!({"?:": [true, "y", "n"]}), json!({})), json!("y"));
    // A rule's outcome uses plain JavaScript truthiness: an empty array is true there.
    assert!(matches(&compile(&json!([])).expect("compiles"), &json!({})));
    assert!(!matches(
        &compile(&json!({"var": "missing"})).expect("compiles"),
        &json!({})
    ));
}

#[test]
fn var_paths_and_defaults() {
    let data =
        json!({"mbox": {"favorite": {"color_lc": "blue"}}, "a.b": 1, "list": [10, 20], "n": null});
    assert_eq!(
        eval(json!({"var": "mbox.favorite.color_lc"}), data.clone()),
        json!("blue")
    );
    assert_eq!(eval(json!({"var": "a.b"}), data.clone()), json!(null));
    assert_eq!(eval(json!({"var": "list.1"}), data.clone()), json!(20));
    assert_eq!(
        eval(json!({"var": ["nope", "fallback"]}), data.clone()),
        json!("fallback")
    );
    assert_eq!(
        eval(json!({"var": ["n", "fallback"]}), data.clone()),
        json!(null),
        "null is a value"
    );
    assert_eq!(
        eval(json!({"var": [{"cat": ["li", "st.0"]}]}), data.clone()),
        json!(10)
    );
    assert_eq!(eval(json!({"var": ""}), json!(7)), json!(7));
    assert_eq!(
        eval(json!({"missing": ["mbox", "zzz", "n"]}), data.clone()),
        json!(["zzz", "n"])
    );
    assert_eq!(
        eval(json!({"missing_some": [1, ["zzz", "list"]]}), data.clone()),
        json!([])
    );
    assert_eq!(
        eval(json!({"missing_some": [2, ["zzz", "list"]]}), data),
        json!(["zzz"])
    );
}

#[test]
fn strings_arrays_and_arithmetic() {
    assert_eq!(
        eval(
            json!({"in": ["bar", {"var": "u"}]}),
            json!({"u": "http://x/?bar=1"})
        ),
        json!(true)
    );
    assert_eq!(eval(json!({"in": [1, "a1"]}), json!({})), json!(true));
    assert_eq!(
        eval(json!({"in": ["b", ["a", "b"]]}), json!({})),
        json!(true)
    );
    assert_eq!(
        eval(json!({"in": ["1", [1]]}), json!({})),
        json!(false),
        "indexOf is strict"
    );
    assert_eq!(
        eval(json!({"in": ["z", {"var": "missing"}]}), json!({})),
        json!(false)
    );
    assert_eq!(
        eval(json!({"cat": ["a", 1, null, true, 1.5]}), json!({})),
        json!("a1true1.5")
    );
    assert_eq!(
        eval(json!({"substr": ["jsonlogic", 4]}), json!({})),
        json!("logic")
    );
    assert_eq!(
        eval(json!({"substr": ["jsonlogic", -5]}), json!({})),
        json!("logic")
    );
    assert_eq!(
        eval(json!({"substr": ["jsonlogic", 1, 3]}), json!({})),
        json!("son")
    );
    assert_eq!(
        eval(json!({"substr": ["jsonlogic", 4, -2]}), json!({})),
        json!("log")
    );
    assert_eq!(
        eval(json!({"+": ["1", 2, "3.5abc"]}), json!({})),
        json!(6.5)
    );
    assert_eq!(eval(json!({"+": []}), json!({})), json!(0));
    assert_eq!(eval(json!({"*": ["2", 3]}), json!({})), json!(6));
    assert_eq!(eval(json!({"-": [5]}), json!({})), json!(-5));
    assert_eq!(eval(json!({"-": ["5", 2]}), json!({})), json!(3));
    assert_eq!(eval(json!({"/": [1, 4]}), json!({})), json!(0.25));
    assert_eq!(
        eval(json!({"/": [1, 0]}), json!({})),
        json!(null),
        "Infinity serializes as null"
    );
    assert_eq!(eval(json!({"%": [7, 3]}), json!({})), json!(1));
    assert_eq!(eval(json!({"min": [3, "1", 2]}), json!({})), json!(1));
    assert_eq!(
        eval(json!({"max": [3, "x"]}), json!({})),
        json!(null),
        "NaN"
    );
    assert_eq!(
        eval(json!({"merge": [[1, 2], 3, [[4]]]}), json!({})),
        json!([1, 2, 3, [4]])
    );
}

#[test]
fn array_operations_scope_their_data() {
    let data = json!({"xs": [1, 2, 3, 4]});
    assert_eq!(
        eval(
            json!({"map": [{"var": "xs"}, {"*": [{"var": ""}, 2]}]}),
            data.clone()
        ),
        json!([2, 4, 6, 8])
    );
    assert_eq!(
        eval(
            json!({"filter": [{"var": "xs"}, {">": [{"var": ""}, 2]}]}),
            data.clone()
        ),
        json!([3, 4])
    );
    assert_eq!(
        eval(
            json!({"reduce": [{"var": "xs"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]}),
            data.clone()
        ),
        json!(10)
    );
    assert_eq!(
        eval(
            json!({"all": [{"var": "xs"}, {">": [{"var": ""}, 0]}]}),
            data.clone()
        ),
        json!(true)
    );
    assert_eq!(eval(json!({"all": [[], true]}), json!({})), json!(false));
    assert_eq!(
        eval(
            json!({"some": [{"var": "xs"}, {">": [{"var": ""}, 3]}]}),
            data.clone()
        ),
        json!(true)
    );
    assert_eq!(
        eval(
            json!({"none": [{"var": "xs"}, {">": [{"var": ""}, 9]}]}),
            data.clone()
        ),
        json!(true)
    );
    assert_eq!(eval(json!({"map": [{"var": "nope"}, 1]}), data), json!([]));
}

#[test]
fn unknown_operations_and_deep_nesting_are_compile_errors() {
    assert_eq!(
        compile(&json!({"teleport": [1]})).unwrap_err(),
        "Unrecognized operation teleport"
    );
    let mut deep = json!(true);
    for _ in 0..100 {
        deep = json!({"!": [deep]});
    }
    assert!(compile(&deep).is_err());
    // Objects that are not one-key operations are literals.
    assert_eq!(
        eval(json!({"a": 1, "b": 2}), json!({})),
        json!({"a": 1, "b": 2})
    );
}

/// A JSON value of the shapes rules meet: scalars, and arrays of them.
fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..12).prop_map(|n| json!(n)),
        (-2.5f64..2.5).prop_map(|n| json!(n)),
        "[a-cA-C0-9 ]{0,3}".prop_map(Value::String),
    ];
    prop_oneof![
        4 => scalar.clone(),
        1 => proptest::collection::vec(scalar, 0..3).prop_map(Value::Array),
    ]
}

proptest::proptest! {
    /// A comparison of a `var` and a literal, compiled to one step, answers what the general
    /// evaluation of the same operation answers (a `var` with a null default takes that path),
    /// in either order, for values present or missing.
    #[test]
    fn compiled_comparisons_answer_as_the_general_path(
        op in proptest::sample::select(vec!["==", "!=", "===", "!==", "<", "<=", ">", ">=", "in"]),
        value in proptest::option::of(json_value()),
        literal in json_value(),
        var_first: bool,
    ) {
        let data = value.map_or_else(|| json!({}), |v| json!({"x": v}));
        let logic = |var: Value| {
            let args = if var_first { json!([var, literal]) } else { json!([literal, var]) };
            json!({ op: args })
        };
        let compiled = compile(&logic(json!({"var": "x"}))).expect("compiles");
        // A literal array stays on the general path.
        proptest::prop_assert_eq!(matches!(compiled, Expr::Compare(_)), !literal.is_array());
        let fast = eval(logic(json!({"var": "x"})), data.clone());
        let general = eval(logic(json!({"var": ["x", null]})), data);
        proptest::prop_assert_eq!(fast, general);
    }
}

/// Conditions of `and`, `or`, comparisons and literals (falsy ones among them: `[]`, `0`, `""`).
fn condition() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        json_value(),
        (json_value(), any::<bool>()).prop_map(|(literal, first)| {
            let var = json!({"var": "x"});
            if first {
                json!({"==": [var, literal]})
            } else {
                json!({"<": [literal, var]})
            }
        }),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        (
            proptest::sample::select(vec!["and", "or"]),
            proptest::collection::vec(inner, 0..4),
        )
            .prop_map(|(op, args)| json!({ op: args }))
    })
}

proptest::proptest! {
    /// Testing a condition without its value answers as the value's JavaScript truthiness.
    #[test]
    fn a_condition_holds_as_its_value_is_truthy(logic in condition(), x in json_value()) {
        let data = json!({"x": x});
        let expr = compile(&logic).expect("compiles");
        let value = evaluate(&expr, &data);
        proptest::prop_assert_eq!(matches(&expr, &data), super::js_truthy(&value), "{}", logic);
    }
}
