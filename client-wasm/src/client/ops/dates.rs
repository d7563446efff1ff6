//! The dates a page writes: `YYYY-MM-DD` for searches, ISO 8601 for APPEND's
//! INTERNALDATE, each read exactly (nothing before or after it is ignored).

use crate::client::ClientError;
use crate::codec::search::SearchDate;

/// A `YYYY-MM-DD` date, exactly: anything before or after it is an error, not ignored.
pub(super) fn parse_date(text: &str) -> Result<SearchDate, ClientError> {
    let invalid = || ClientError::invalid_argument(format!("`{text}` is not a date (use YYYY-MM-DD)"));
    let shape_ok = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    if !shape_ok {
        return Err(invalid());
    }
    let year: u16 = digits(&text[..4]).ok_or_else(invalid)?;
    let month: u8 = digits(&text[5..7])
        .filter(|month| (1..=12).contains(month))
        .ok_or_else(invalid)?;
    let day: u8 = digits(&text[8..])
        .filter(|&day| (1..=days_in_month(year, month)).contains(&day))
        .ok_or_else(invalid)?;
    Ok(SearchDate { year, month, day })
}

/// A number written with ASCII digits only (no sign, no spaces).
fn digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// An INTERNALDATE for APPEND from an ISO 8601 timestamp: `YYYY-MM-DD`, or
/// `YYYY-MM-DDTHH:MM:SS` with optional fraction and a zone (`Z`, `+HH:MM`;
/// none means UTC), as `Date.prototype.toISOString()` writes it.
pub(super) fn internal_date_from_iso(iso: &str) -> Result<String, ClientError> {
    let invalid = || ClientError::invalid_argument(format!("`{iso}` is not an ISO 8601 date"));
    let (day_part, rest) = iso.split_at_checked(10).ok_or_else(invalid)?;
    let date = parse_date(day_part).map_err(|_| invalid())?;
    let (time, zone) = if rest.is_empty() {
        ("00:00:00", "+0000".to_owned())
    } else {
        let rest = rest.strip_prefix('T').ok_or_else(invalid)?;
        let (time, mut zone) = rest.split_at_checked(8).ok_or_else(invalid)?;
        let [hour, minute, second] = [0..2, 3..5, 6..8].map(|range| digits::<u8>(&time[range]));
        let time_ok = time.as_bytes()[2] == b':'
            && time.as_bytes()[5] == b':'
            && hour.is_some_and(|h| h < 24)
            && minute.is_some_and(|m| m < 60)
            && second.is_some_and(|s| s <= 60);
        if !time_ok {
            return Err(invalid());
        }
        if let Some(fraction) = zone.strip_prefix('.') {
            let end = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
            if end == 0 {
                return Err(invalid());
            }
            zone = &fraction[end..];
        }
        let zone = match zone {
            "" | "Z" => "+0000".to_owned(),
            offset => {
                let valid = offset.len() == 6
                    && (offset.starts_with('+') || offset.starts_with('-'))
                    && offset.as_bytes()[3] == b':'
                    && digits::<u8>(&offset[1..3]).is_some_and(|h| h < 24)
                    && digits::<u8>(&offset[4..]).is_some_and(|m| m < 60);
                if !valid {
                    return Err(invalid());
                }
                format!("{}{}", &offset[..3], &offset[4..])
            }
        };
        (time, zone)
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    Ok(format!(
        "{:02}-{}-{} {time} {zone}",
        date.day,
        MONTHS[usize::from(date.month - 1)],
        date.year
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_dates() {
        assert_eq!(
            internal_date_from_iso("2024-03-05T07:08:09Z").unwrap(),
            "05-Mar-2024 07:08:09 +0000"
        );
        assert!(internal_date_from_iso("2024-13-05").is_err());
        assert_eq!(
            internal_date_from_iso("2024-03-05T07:08:09.123Z").unwrap(),
            "05-Mar-2024 07:08:09 +0000",
            "toISOString()"
        );
        assert_eq!(
            internal_date_from_iso("2024-03-05T07:08:09+02:00").unwrap(),
            "05-Mar-2024 07:08:09 +0200"
        );
        assert_eq!(
            internal_date_from_iso("2024-03-05").unwrap(),
            "05-Mar-2024 00:00:00 +0000"
        );
        for bad in [
            "2024-03-05junk",
            "2024-03-05T7:08:09Z",
            "2024-03-05T07:08:09.Z",
            "2024-03-05T25:00:00Z",
            "2024-03-05T07:08:09+2",
        ] {
            assert!(internal_date_from_iso(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn search_dates_are_exactly_yyyy_mm_dd() {
        assert_eq!(
            parse_date("2024-02-29").unwrap(),
            SearchDate {
                year: 2024,
                month: 2,
                day: 29
            }
        );
        for bad in [
            "2026-01-01junk",
            "2026-01-01T00:00:00Z",
            "2026-1-01",
            "2023-02-29",
            "2026-04-31",
            "+026-01-01",
            "2026-01-00",
            "",
        ] {
            assert!(
                parse_date(bad).is_err_and(|error| error.kind() == crate::client::ErrorKind::InvalidArgument),
                "{bad} accepted"
            );
        }
    }
}
