//! What the console shows of a phone number: enough to tell a customer's numbers apart
//! (the country code's first digits and the last four), never the whole number.

use crate::identity::PhoneNumber;

/// `+14155550301` shows as `+14•••••0301`.
pub fn masked_number(number: &PhoneNumber) -> String {
    masked(number.as_e164())
}

fn masked(e164: &str) -> String {
    let chars: Vec<char> = e164.chars().collect();
    let (head, tail) = (3.min(chars.len()), 4.min(chars.len().saturating_sub(3)));
    let hidden = chars.len() - head - tail;
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('•', hidden));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_country_code_start_and_the_last_four_show() {
        assert_eq!(masked("+14155550301"), "+14•••••0301");
        assert_eq!(masked("+447700900123"), "+44••••••0123");
        // The shortest E.164 numbers still hide their middle.
        assert_eq!(masked("+2901234"), "+29•1234");
        assert_eq!(masked("+1"), "+1");
    }
}
