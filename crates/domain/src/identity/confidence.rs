//! Confidence in [0, 1] at two decimals, and what it means: level and recommendation.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A confidence score in hundredths, so thresholds compare exactly (0.5 is 50, never
/// 0.49999...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Confidence(u8);

impl Confidence {
    /// No evidence at all.
    pub const ZERO: Confidence = Confidence(0);
    /// Certainty.
    pub const ONE: Confidence = Confidence(100);

    /// min(1, max(0, sum)), rounded to two decimals.
    pub fn from_sum(sum: f64) -> Self {
        if !sum.is_finite() || sum <= 0.0 {
            return Self::ZERO;
        }
        let hundredths = (sum.min(1.0) * 100.0).round();
        Self(hundredths as u8)
    }

    /// From hundredths (clamped to 100).
    pub fn from_hundredths(hundredths: u8) -> Self {
        Self(hundredths.min(100))
    }

    /// The score in hundredths.
    pub fn hundredths(self) -> u8 {
        self.0
    }

    /// The score as the wire's number (0.95).
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 100.0
    }

    /// `very_high` >= 0.9, `high` >= 0.7, `medium` >= 0.5, else `low`.
    pub fn level(self) -> Level {
        match self.0 {
            90.. => Level::VeryHigh,
            70.. => Level::High,
            50.. => Level::Medium,
            _ => Level::Low,
        }
    }

    /// `reuse` >= 0.5, `confirm` >= 0.3, else `ignore`.
    pub fn recommendation(self) -> Recommendation {
        match self.0 {
            50.. => Recommendation::Reuse,
            30.. => Recommendation::Confirm,
            _ => Recommendation::Ignore,
        }
    }
}

impl Serialize for Confidence {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_f64())
    }
}

/// Reads the wire's number back (as a store keeps an explanation).
impl<'de> Deserialize<'de> for Confidence {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        f64::deserialize(deserializer).map(Self::from_sum)
    }
}

/// How strong a match is, in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Below 0.5.
    Low,
    /// 0.5 and up.
    Medium,
    /// 0.7 and up.
    High,
    /// 0.9 and up.
    VeryHigh,
}

impl Level {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::VeryHigh => "very_high",
        }
    }
}

/// What the integrator should do with the match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    /// Below 0.3: treat as a new caller.
    Ignore,
    /// 0.3 to 0.5: ask the caller to confirm first.
    Confirm,
    /// 0.5 and up: use the context. The only recommendation that is free.
    Reuse,
}

impl Recommendation {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Ignore => "ignore",
            Recommendation::Confirm => "confirm",
            Recommendation::Reuse => "reuse",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_threshold_edge() {
        let cases = [
            (0, Level::Low, Recommendation::Ignore),
            (29, Level::Low, Recommendation::Ignore),
            (30, Level::Low, Recommendation::Confirm),
            (49, Level::Low, Recommendation::Confirm),
            (50, Level::Medium, Recommendation::Reuse),
            (69, Level::Medium, Recommendation::Reuse),
            (70, Level::High, Recommendation::Reuse),
            (89, Level::High, Recommendation::Reuse),
            (90, Level::VeryHigh, Recommendation::Reuse),
            (100, Level::VeryHigh, Recommendation::Reuse),
        ];
        for (hundredths, level, recommendation) in cases {
            let c = Confidence::from_hundredths(hundredths);
            assert_eq!(c.level(), level, "{hundredths}");
            assert_eq!(c.recommendation(), recommendation, "{hundredths}");
        }
    }

    #[test]
    fn sums_are_capped_and_rounded() {
        assert_eq!(Confidence::from_sum(0.45 + 0.05).hundredths(), 50);
        assert_eq!(Confidence::from_sum(0.5 + 0.4 + 0.05).hundredths(), 95);
        assert_eq!(Confidence::from_sum(0.9 + 0.5 + 0.4).hundredths(), 100);
        assert_eq!(Confidence::from_sum(0.5 / 3.0).hundredths(), 17);
        assert_eq!(Confidence::from_sum(-1.0), Confidence::ZERO);
        assert_eq!(Confidence::from_sum(f64::NAN), Confidence::ZERO);
    }

    #[test]
    fn serialises_as_the_wire_number() {
        let json = serde_json::to_string(&Confidence::from_hundredths(95)).unwrap();
        assert_eq!(json, "0.95");
        assert_eq!(serde_json::to_string(&Confidence::ZERO).unwrap(), "0.0");
    }
}
