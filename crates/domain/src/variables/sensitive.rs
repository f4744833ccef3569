//! Payment card numbers must never be stored (the seeds forbid it).

/// True when `text` holds a run of 13 to 19 digits (single spaces or dashes allowed
/// between them, as cards are written) that starts like a card (2 to 6: Mastercard,
/// Amex, Visa, Discover...) and passes the Luhn check. A run written after `+` is a
/// phone number, and one right after a digit and a point is a number's decimals
/// (`0.4111111111111111`, a float as JSON writes it): both are left alone.
pub fn looks_like_card_number(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let after_plus = i > 0 && chars[i - 1] == '+';
        let decimals = i > 1 && chars[i - 1] == '.' && chars[i - 2].is_ascii_digit();
        let mut digits = String::new();
        let mut j = i;
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                digits.push(chars[j]);
                j += 1;
            } else if (chars[j] == ' ' || chars[j] == '-')
                && chars.get(j + 1).is_some_and(char::is_ascii_digit)
            {
                j += 1;
            } else {
                break;
            }
        }
        if !after_plus && !decimals && is_card(&digits) {
            return true;
        }
        i = j;
    }
    false
}

fn is_card(digits: &str) -> bool {
    (13..=19).contains(&digits.len())
        && digits.starts_with(['2', '3', '4', '5', '6'])
        && luhn::valid(digits)
}

#[cfg(test)]
mod tests {
    use super::looks_like_card_number as card;

    #[test]
    fn card_numbers_in_any_usual_writing() {
        for text in [
            "4111111111111111",
            "paid 4111111111111111.",
            "ref.4111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "paid with 5555555555554444 yesterday",
            "378282246310005",
            "6011111111111117",
        ] {
            assert!(card(text), "{text}");
        }
    }

    #[test]
    fn ordinary_values_pass() {
        for text in [
            "4111111111111112",
            "Issued $50 refund for duplicate charge",
            "2026-02-01",
            "+1 415 555 1234",
            "+8613812345678",
            "ACC-67890",
            "call_1738442400000_x7k2p9",
            // A float's decimals, as a JSON number becomes text.
            "0.4111111111111111",
            "-1.5698151791920975e+187",
            "",
        ] {
            assert!(!card(text), "{text}");
        }
    }
}
