//! The numbers of a transcript: exact decimals that travel as text with their digits fixed.
//!
//! A transcript is read by templates in other languages and by programs that must print the
//! same digits on every machine, so each number is written as a string: a level as `"3.50"`
//! (the digits its scale needs), a credit value or a requirement in its shortest form (`"1"`,
//! `"0.5"`). Inside `mastery` they stay numbers: code that needs a value reads it from the type,
//! never by parsing the text back.

use std::fmt;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};

/// A decimal shown with a fixed number of digits after the point, rounded half away from zero:
/// levels, scores, the steps of a calculation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fixed {
    value: Decimal,
    digits: u32,
}

impl Fixed {
    /// `value` rounded to `digits` after the point.
    pub fn new(value: Decimal, digits: u32) -> Fixed {
        let mut rounded = value.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
        rounded.rescale(digits);
        Fixed { value: rounded, digits }
    }

    /// The value, as rounded.
    pub fn value(&self) -> Decimal {
        self.value
    }

    /// The digits after the point.
    pub fn digits(&self) -> u32 {
        self.digits
    }

    /// The value as a floating-point number, for formats that want one (JSON-LD's
    /// `xsd:float`).
    #[allow(
        clippy::disallowed_types,
        reason = "for formats whose schema wants a number (the CLR's creditsEarned, an xsd:float) and the HTML's bar widths; never a value computed with or compared"
    )]
    pub fn to_f64(&self) -> f64 {
        self.value.to_f64().unwrap_or(f64::NAN)
    }
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

impl Serialize for Fixed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A decimal shown in its shortest form, without trailing zeros: credit values, weights,
/// requirements (`"1"`, `"0.5"`, `"24"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(Decimal);

impl Amount {
    /// The value, normalized: without trailing zeros.
    pub fn new(value: Decimal) -> Amount {
        Amount(value.normalize())
    }

    /// The value.
    pub fn value(&self) -> Decimal {
        self.0
    }

    /// The value as a floating-point number, for formats that want one.
    #[allow(
        clippy::disallowed_types,
        reason = "for formats whose schema wants a number (the CLR's creditsEarned, an xsd:float) and the HTML's bar widths; never a value computed with or compared"
    )]
    pub fn to_f64(&self) -> f64 {
        self.0.to_f64().unwrap_or(f64::NAN)
    }

    /// Whether the amount is exactly one (for "1 credit" against "2 credits").
    pub fn is_one(&self) -> bool {
        self.0 == Decimal::ONE
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_the_transcript_always_has() {
        assert_eq!(Fixed::new(Decimal::new(35, 1), 2).to_string(), "3.50");
        assert_eq!(Fixed::new(Decimal::new(2825, 3), 2).to_string(), "2.83", "half away from zero");
        assert_eq!(Fixed::new(Decimal::new(-2825, 3), 2).to_string(), "-2.83");
        assert_eq!(Fixed::new(Decimal::from(3), 0).to_string(), "3");
        assert_eq!(Amount::new(Decimal::new(50, 2)).to_string(), "0.5");
        assert_eq!(Amount::new(Decimal::new(100, 2)).to_string(), "1");
        assert_eq!(serde_json::to_string(&Fixed::new(Decimal::ONE, 4)).unwrap(), "\"1.0000\"");
        assert!(Amount::new(Decimal::new(10, 1)).is_one());
    }
}
