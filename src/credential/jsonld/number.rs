//! Numbers and JSON literals as jsonld.js writes them: JavaScript's number printing
//! (ECMAScript Number::toString) and the canonical JSON of an `@json` value.

#![allow(
    clippy::disallowed_types,
    reason = "JSON numbers are JavaScript doubles here: jsonld.js writes its lexical forms from them"
)]

use serde_json::Value;

/// Whether JavaScript prints this number with a decimal point (or it is very large): what
/// jsonld.js takes for a double.
pub(super) fn is_js_double(number: f64) -> bool {
    let magnitude = number.abs();
    magnitude >= 1e21 || (number.fract() != 0.0 && magnitude >= 1e-6)
}

/// `Number.prototype.toFixed(0)`, for a number below 10²¹.
pub(super) fn js_integer(number: f64) -> String {
    if number == 0.0 {
        return "0".to_string();
    }
    format!("{number:.0}")
}

/// The canonical XSD double form jsonld.js writes: sixteen significant digits with trailing
/// zeros removed, such as `1.5E0` or `1.0E-5`.
pub(super) fn canonical_double(number: f64) -> String {
    if !number.is_finite() {
        return if number.is_nan() {
            "NaN".to_string()
        } else if number > 0.0 {
            "INF".to_string()
        } else {
            "-INF".to_string()
        };
    }
    let text = format!("{number:.15e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let mut mantissa = mantissa.trim_end_matches('0').to_string();
    if mantissa.ends_with('.') {
        mantissa.push('0');
    }
    format!("{mantissa}E{exponent}")
}

/// JSON in its canonical form (RFC 8785): members sorted by their UTF-16 code units, no white
/// space, numbers as JavaScript prints them.
pub(super) fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical_json(value, &mut out);
    out
}

pub(super) fn write_canonical_json(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Bool(_) => out.push_str(&value.to_string()),
        Value::Number(number) => out.push_str(&js_number(number.as_f64().unwrap_or(f64::NAN))),
        Value::String(text) => out.push_str(&Value::String(text.clone()).to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical_json(item, out);
            }
            out.push('}');
        }
    }
}

/// `Number.prototype.toString()`: the shortest digits that read back as the number, in plain
/// notation from 10⁻⁶ to 10²¹ and in exponent notation outside.
pub(super) fn js_number(number: f64) -> String {
    if number == 0.0 {
        return "0".to_string();
    }
    if !number.is_finite() {
        return "null".to_string();
    }
    let shortest = format!("{:e}", number.abs());
    let (mantissa, exponent) = shortest.split_once('e').unwrap_or((&shortest, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if number < 0.0 { "-" } else { "" };
    let count = digits.len() as i32;
    let point = exponent + 1;
    let body = if (-6..=-1).contains(&exponent) {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if (0..21).contains(&exponent) {
        if count <= point {
            format!("{digits}{}", "0".repeat((point - count) as usize))
        } else {
            format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
        }
    } else {
        let tail = if count > 1 { format!(".{}", &digits[1..]) } else { String::new() };
        let exponent_sign = if exponent > 0 { "+" } else { "-" };
        format!("{}{tail}e{exponent_sign}{}", &digits[..1], exponent.abs())
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_take_the_forms_jsonld_js_writes() {
        assert_eq!(canonical_double(1.5), "1.5E0");
        assert_eq!(canonical_double(1e-5), "1.0E-5");
        assert_eq!(canonical_double(123456.789), "1.23456789E5");
        assert_eq!(js_integer(3.0), "3");
        assert!(!is_js_double(2.0));
        assert!(is_js_double(2.5));
        assert!(!is_js_double(1e-7), "JavaScript prints 1e-7 without a decimal point");
        for (number, text) in
            [(1.0, "1"), (0.5, "0.5"), (1e21, "1e+21"), (1e-7, "1e-7"), (123.456, "123.456"), (-0.000001, "-0.000001")]
        {
            assert_eq!(js_number(number), text, "{number}");
        }
        assert_eq!(canonical_json(&json!({"b": [1, 2.5, "x"], "a": null})), r#"{"a":null,"b":[1,2.5,"x"]}"#);
    }
}
